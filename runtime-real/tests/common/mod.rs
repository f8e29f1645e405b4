//! Starts the real `dynomite` binary for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use dynomite_testkit::{free_port, RespConn};

/// Attempts at starting a node with fresh ports.
const START_ATTEMPTS: usize = 5;

/// A `dynomite` process with its config file; killed on drop.
pub struct DynomiteProcess {
    child: Child,
    pub port: u16,
    pub config_path: PathBuf,
}

impl DynomiteProcess {
    /// Starts dynomite in front of Redis on `redis_port` (`data_store: 0`).
    pub fn redis(redis_port: u16) -> DynomiteProcess {
        Self::start("data_store: 0", redis_port)
    }

    /// Starts dynomite on the embedded datastore.
    pub fn embedded() -> DynomiteProcess {
        Self::start("data_store: embedded", free_port())
    }

    fn start(data_store_line: &str, redis_port: u16) -> DynomiteProcess {
        // A free port can be taken by a parallel test before the node binds it; the node then exits at
        // once and a fresh set of ports is tried.
        for _ in 0..START_ATTEMPTS {
            if let Some(process) = Self::try_start(data_store_line, redis_port) {
                return process;
            }
        }
        panic!("dynomite did not start after {START_ATTEMPTS} attempts with fresh ports");
    }

    fn try_start(data_store_line: &str, redis_port: u16) -> Option<DynomiteProcess> {
        let port = free_port();
        let config = format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:{port}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
             servers:\n  - 127.0.0.1:{redis_port}:1\n  {data_store_line}\n  tokens: '0'\n  timeout: 2000\n",
            free_port(),
            free_port()
        );
        let config_path = std::env::temp_dir().join(format!("dynomite-it-{port}-{}.yml", std::process::id()));
        std::fs::write(&config_path, config).expect("write config");
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&config_path)
            .args(["-v", "4"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynomite");
        let mut process = DynomiteProcess { child, port, config_path };
        process.wait_ready().then_some(process)
    }

    /// True once the client port answers; false when the process exited during startup.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                eprintln!("dynomite exited during startup ({status}); retrying with fresh ports");
                return false;
            }
            if RespConn::connect(self.port).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dynomite did not listen on {} within 10 s", self.port);
    }

    pub fn connect(&self) -> RespConn {
        RespConn::connect(self.port).expect("connect to dynomite")
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        self.child.wait().expect("wait for dynomite")
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for DynomiteProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config_path);
    }
}

/// Shows raw RESP bytes readably in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\\r\\n")
}
