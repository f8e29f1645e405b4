//! The command line: `-t` validates a configuration and names what is wrong.

use std::process::Command;

fn test_conf(yaml: &str) -> (bool, String, String) {
    let path = std::env::temp_dir().join(format!("dynomite-cli-{}-{}.yml", std::process::id(), yaml.len()));
    std::fs::write(&path, yaml).unwrap();
    let output =
        Command::new(env!("CARGO_BIN_EXE_dynomite")).arg("-t").arg("-c").arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn test_conf_accepts_a_good_file() {
    let (ok, stdout, _) = test_conf(
        "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '12345'\n  data_store: 0\n",
    );
    assert!(ok);
    assert!(stdout.contains("syntax is ok"), "{stdout}");
}

#[test]
fn test_conf_names_the_bad_key() {
    let (ok, _, stderr) = test_conf(
        "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '1'\n  read_consistency: dc_two\n",
    );
    assert!(!ok);
    assert!(stderr.contains("read_consistency") && stderr.contains("dc_two"), "{stderr}");
    let (ok, _, stderr) = test_conf("dyn_o_mite:\n  lisen: 127.0.0.1:8102\n");
    assert!(!ok);
    assert!(stderr.contains("lisen"), "{stderr}");
}

#[test]
fn missing_file_is_reported() {
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["-t", "-c", "/nonexistent/d.yml"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/d.yml"));
}

#[test]
fn version_and_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("dynomite "));
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in ["--conf-file", "--test-conf", "--verbosity", "--output", "--pid-file"] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}
