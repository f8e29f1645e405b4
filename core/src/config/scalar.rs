//! Turning one written value ([`Node`]) into one typed value, with an error that names the pool,
//! the key, the value and what the key accepts.

use super::error::ConfigError;
use super::keys::{TEXT_LENGTH_MAX_BYTES, TOKENS_MAX};
use super::node::Node;
use super::values::Endpoint;

/// The pool and key a value belongs to: the context of every error raised while reading it.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// Pool name.
    pub pool: &'a str,
    /// YAML key.
    pub key: &'static str,
}

impl Field<'_> {
    /// `'{value}' is not {expected}`.
    pub fn invalid(&self, value: impl ToString, expected: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue {
            pool: self.pool.to_string(),
            key: self.key,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// `{value} is out of range; allowed: {min}..={max}`.
    pub fn out_of_range(&self, value: impl ToString, min: u64, max: u64) -> ConfigError {
        ConfigError::OutOfRange {
            pool: self.pool.to_string(),
            key: self.key,
            value: value.to_string(),
            min,
            max,
        }
    }

    /// `required key is missing (e.g. ...)`.
    pub fn missing(&self, example: &'static str) -> ConfigError {
        ConfigError::MissingKey { pool: self.pool.to_string(), key: self.key, example }
    }

    /// `'{value}': {what} is not supported yet; supported: {supported}`.
    pub fn unsupported(&self, value: impl ToString, what: &str, supported: &'static str) -> ConfigError {
        ConfigError::Unsupported {
            pool: self.pool.to_string(),
            key: self.key,
            value: value.to_string(),
            what: what.to_string(),
            supported,
        }
    }

    /// The value as non-empty text of bounded length; sequences and mappings are rejected.
    pub fn text<'n>(&self, node: &'n Node) -> Result<&'n str, ConfigError> {
        match node {
            Node::Scalar(text) if text.is_empty() => {
                Err(ConfigError::EmptyValue { pool: self.pool.to_string(), key: self.key })
            }
            Node::Scalar(text) if text.len() > TEXT_LENGTH_MAX_BYTES => {
                Err(self.invalid(node, format!("at most {TEXT_LENGTH_MAX_BYTES} bytes long")))
            }
            Node::Scalar(text) => Ok(text),
            other => Err(self.invalid(other, "a single value")),
        }
    }

    /// A decimal integer in `min..=max` (C Dynomite accepts digits only: no sign, no unit).
    pub fn unsigned(&self, node: &Node, min: u64, max: u64) -> Result<u64, ConfigError> {
        let text = self.text(node)?;
        let number = self.digits(text, text, "a non-negative integer")?;
        if number < min || number > max {
            return Err(self.out_of_range(text, min, max));
        }
        Ok(number)
    }

    /// `true` or `false`, as C Dynomite's `conf_set_bool`.
    pub fn boolean(&self, node: &Node) -> Result<bool, ConfigError> {
        match self.text(node)? {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(self.invalid(other, "true or false")),
        }
    }

    /// A TCP port 1..=65535 written inside `whole`.
    pub fn port(&self, whole: &str, port: &str, expected: &str) -> Result<u16, ConfigError> {
        let number = self.digits(port, whole, expected)?;
        match u16::try_from(number) {
            Ok(valid) if valid >= 1 => Ok(valid),
            _ => Err(self.out_of_range(format!("port {port} of '{whole}'"), 1, u64::from(u16::MAX))),
        }
    }

    /// A listener address `host:port` (IPv6 hosts in brackets). Unix sockets are not supported yet.
    pub fn endpoint(&self, node: &Node, example: &str) -> Result<Endpoint, ConfigError> {
        let text = self.text(node)?;
        let expected = format!("host:port (e.g. {example})");
        if text.starts_with('/') {
            return Err(self.unsupported(text, "a unix socket", "host:port"));
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(self.invalid(text, expected));
        };
        let host = host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(host);
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(self.invalid(text, expected));
        }
        let port = self.port(text, port, &expected)?;
        Ok(Endpoint::new(host, port))
    }

    /// A comma-separated token list `1,1001` of 1..=`TOKENS_MAX` unsigned 32-bit tokens.
    pub fn tokens(&self, whole: &str, list: &str) -> Result<Vec<u32>, ConfigError> {
        let expected = "a comma-separated list of tokens, each 0..=4294967295 (e.g. 437425602)";
        let mut tokens = Vec::new();
        for part in list.split(',') {
            let number = self.digits(part.trim(), whole, expected)?;
            let token = u32::try_from(number).map_err(|_| self.invalid(whole, expected))?;
            tokens.push(token);
        }
        if tokens.len() > TOKENS_MAX {
            return Err(self.invalid(whole, format!("a list of at most {TOKENS_MAX} tokens")));
        }
        Ok(tokens)
    }

    /// The values of a key that takes a list but, like C Dynomite, also a single scalar.
    pub fn list<'n>(&self, node: &'n Node) -> Result<Vec<&'n str>, ConfigError> {
        match node {
            Node::Sequence(items) if items.is_empty() => Err(self.invalid(node, "a non-empty list")),
            Node::Sequence(items) => items.iter().map(|item| self.text(item)).collect(),
            other => Ok(vec![self.text(other)?]),
        }
    }

    /// A non-empty run of ASCII digits as `u64`; `whole` is the value quoted in the error.
    fn digits(&self, digits: &str, whole: &str, expected: &str) -> Result<u64, ConfigError> {
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(self.invalid(whole, expected));
        }
        digits.parse::<u64>().map_err(|_| self.out_of_range(whole, 0, u64::MAX))
    }
}
