//! Why a configuration was rejected. Every variant names the pool and key, the offending value and
//! what is allowed, so an operator can fix the file from the message alone.

use super::keys::KNOWN_KEYS;

/// A configuration that cannot be used, with enough context to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not valid YAML; the position is 1-based.
    #[error("YAML syntax error at line {line} column {column}: {message}")]
    Syntax {
        /// Line of the error, starting at 1.
        line: usize,
        /// Column of the error, starting at 1.
        column: usize,
        /// The YAML parser's description.
        message: String,
    },
    /// The YAML could not be read and the parser gave no position.
    #[error("YAML error: {message}")]
    Yaml {
        /// The YAML parser's description.
        message: String,
    },
    /// The text is larger than `CONFIG_TEXT_MAX_BYTES`.
    #[error("configuration is {size_bytes} bytes; the limit is {limit_bytes} bytes")]
    TooLarge {
        /// Size of the text given.
        size_bytes: usize,
        /// The accepted maximum.
        limit_bytes: usize,
    },
    /// The document is empty or not a mapping, so it names no pool.
    #[error(
        "no pool: the configuration must be a mapping with exactly one top-level pool key \
         (conventionally 'dyn_o_mite:')"
    )]
    NoPool,
    /// More than one top-level key: C Dynomite serves exactly one pool.
    #[error(
        "{count} top-level keys ({names}); the configuration must have exactly one pool key \
         (conventionally 'dyn_o_mite:')"
    )]
    SeveralPools {
        /// How many top-level keys were found.
        count: usize,
        /// Their names, quoted and comma separated.
        names: String,
    },
    /// The pool name is not a plain text scalar.
    #[error("the top-level key must be a pool name such as 'dyn_o_mite', found '{found}'")]
    InvalidPoolName {
        /// What was found instead.
        found: String,
    },
    /// The pool's value is not a mapping of keys.
    #[error("{pool}: the pool must be a mapping of 'key: value' entries, found '{found}'")]
    PoolNotMapping {
        /// Pool name.
        pool: String,
        /// What was found instead.
        found: String,
    },
    /// A key this implementation (and C Dynomite) does not know.
    #[error(
        "{pool}: unknown key '{key}'; {}allowed keys: {}",
        suggestion_text(.suggestion),
        KNOWN_KEYS.join(", ")
    )]
    UnknownKey {
        /// Pool name.
        pool: String,
        /// The unknown key as written.
        key: String,
        /// The closest known key, when one is a plausible typo.
        suggestion: Option<&'static str>,
    },
    /// A key given more than once (C Dynomite: "is a duplicate").
    #[error("{pool}: key '{key}' appears twice")]
    DuplicateKey {
        /// Pool name.
        pool: String,
        /// The repeated key.
        key: String,
    },
    /// A key written without a value (`listen:`).
    #[error("{pool}.{key}: the key has no value")]
    EmptyValue {
        /// Pool name.
        pool: String,
        /// The key without a value.
        key: &'static str,
    },
    /// A required key is absent.
    #[error("{pool}.{key}: required key is missing (e.g. '{key}: {example}')")]
    MissingKey {
        /// Pool name.
        pool: String,
        /// The missing key.
        key: &'static str,
        /// A valid example value.
        example: &'static str,
    },
    /// A value that does not have the shape the key requires.
    #[error("{pool}.{key}: '{value}' is not {expected}")]
    InvalidValue {
        /// Pool name.
        pool: String,
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What the key accepts, e.g. "host:port (e.g. 127.0.0.1:8102)".
        expected: String,
    },
    /// A number outside the key's bounds.
    #[error("{pool}.{key}: {value} is out of range; allowed: {min}..={max}")]
    OutOfRange {
        /// Pool name.
        pool: String,
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// A value C Dynomite accepts that this implementation does not support yet.
    #[error("{pool}.{key}: '{value}': {what} is not supported yet; supported: {supported}")]
    Unsupported {
        /// Pool name.
        pool: String,
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What the value selects, e.g. "memcached".
        what: String,
        /// The values that work today.
        supported: &'static str,
    },
    /// Two keys whose values contradict each other.
    #[error("{pool}.{first_key} and {pool}.{second_key}: {reason}")]
    Conflict {
        /// Pool name.
        pool: String,
        /// The first key involved.
        first_key: &'static str,
        /// The second key involved.
        second_key: &'static str,
        /// Why the combination is rejected.
        reason: String,
    },
}

/// The "did you mean" part of an unknown-key message.
fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(known) => format!("did you mean '{known}'? "),
        None => String::new(),
    }
}

impl ConfigError {
    /// Turns a YAML parser error into `Syntax` (with its position) or `Yaml`.
    pub(crate) fn from_yaml(error: &serde_yaml::Error) -> ConfigError {
        let text = error.to_string();
        match error.location() {
            Some(location) => {
                let position = format!(" at line {} column {}", location.line(), location.column());
                let message = text.replacen(&position, "", 1);
                ConfigError::Syntax { line: location.line(), column: location.column(), message }
            }
            None => ConfigError::Yaml { message: text },
        }
    }
}
