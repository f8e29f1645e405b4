//! The `dynomite` binary: parses the command line, sets up logging, and runs a node (or `local`).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use dynomite::cli::{level_for_verbosity, Cli, CliCommand};
use dynomite::client_tls::ClientTlsAcceptor;
use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite::seeds::SeedSource;
use dynomite_core::config::{parse_config, Config};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = init_logging(&cli) {
        eprintln!("dynomite: {message}");
        return ExitCode::FAILURE;
    }
    if cli.daemonize {
        eprintln!(
            "dynomite: -d/--daemonize is not supported; run dynomite under systemd or another supervisor"
        );
        return ExitCode::FAILURE;
    }
    if cli.command.is_none() && cli.test_conf {
        return match load_config(&cli) {
            Ok(config) => {
                for warning in config.warnings() {
                    println!("dynomite: warning: {warning}");
                }
                println!("dynomite: configuration file '{}' syntax is ok", cli.conf_file.display());
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("dynomite: configuration file '{}' syntax is invalid", cli.conf_file.display());
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match build_runtime(cli.threads) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("dynomite: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(&cli));
    if let Some(pid_file) = &cli.pid_file {
        let _ = std::fs::remove_file(pid_file);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dynomite: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One thread by default: on a machine the node shares with its datastore, a single-threaded runtime
/// avoids cross-thread wake-ups and measured faster (see `ci/bench`).
fn build_runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    match threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        0 => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        threads => tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build(),
    }
}

async fn run(cli: &Cli) -> Result<(), String> {
    if let Some(pid_file) = &cli.pid_file {
        std::fs::write(pid_file, format!("{}\n", std::process::id()))
            .map_err(|error| format!("cannot write pid file '{}': {error}", pid_file.display()))?;
    }
    match &cli.command {
        Some(CliCommand::Local(args)) => dynomite::local::run(args.clone(), shutdown_signal()).await,
        Some(CliCommand::Repair(args)) => dynomite::repair::cli::run(args.clone()).await,
        Some(CliCommand::Status(args)) => dynomite::status::run(args.clone(), shutdown_signal()).await,
        None => {
            let mut config = load_config(cli)?;
            for warning in config.warnings() {
                tracing::warn!("{warning}");
            }
            let seed_source = seed_source(&config)?;
            if let Some(source) = &seed_source {
                tokio::select! {
                    biased;
                    _ = shutdown_signal() => return Ok(()),
                    seeds = dynomite::seeds::startup_seeds(source, &config) => config.dyn_seeds = seeds,
                }
            }
            let watched = seed_source.map(|source| (source, config.clone()));
            let listen = config.listen.to_string();
            let node = Node::bind(config, Arc::new(SystemClock))
                .await
                .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
            let reload = tokio::spawn(reload_on_hangup(node.client_tls_acceptor()));
            if let Some((source, config)) = watched {
                let interval_ms = seeds_check_interval()?;
                tokio::spawn(dynomite::seeds::watch(
                    source,
                    config,
                    Arc::downgrade(&node.shared()),
                    interval_ms,
                ));
            }
            node.serve(shutdown_signal()).await;
            reload.abort();
            Ok(())
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let text = std::fs::read_to_string(&cli.conf_file)
        .map_err(|error| format!("cannot read configuration file '{}': {error}", cli.conf_file.display()))?;
    let config = parse_config(&text).map_err(|error| error.to_string())?;
    // The TLS files named by the configuration must be usable too (checked by -t as well).
    dynomite::peer::stream::acceptor(&config).map_err(|error| error.to_string())?;
    if let Some(client_tls) = &config.client_tls {
        ClientTlsAcceptor::load(client_tls.clone()).map_err(|error| error.to_string())?;
    }
    if seed_source(&config)?.is_some() {
        seeds_check_interval()?;
    }
    Ok(config)
}

/// The seed provider `dyn_seed_provider` names, from C Dynomite's environment variables.
fn seed_source(config: &Config) -> Result<Option<SeedSource>, String> {
    SeedSource::from_env(config.dyn_seed_provider, |name| std::env::var(name).ok())
        .map_err(|error| format!("dyn_seed_provider: {error}"))
}

/// `DYNOMITE_SEEDS_CHECK_INTERVAL`: how often a seed provider is asked again.
fn seeds_check_interval() -> Result<u64, String> {
    dynomite::seeds::check_interval_ms(|name| std::env::var(name).ok())
        .map_err(|error| format!("dyn_seed_provider: {error}"))
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    biased;
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutdown signal received; stopping");
}

/// On every SIGHUP, re-reads the client TLS certificate, key and CA files (`client_tls_*`): new TLS
/// connections use them, open ones keep theirs. A reload that fails keeps the previous files' setup.
/// Without client TLS, SIGHUP only logs that there is nothing to reload (it no longer stops the node).
async fn reload_on_hangup(acceptor: Option<Arc<ClientTlsAcceptor>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP; client TLS certificates cannot be reloaded");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            match &acceptor {
                None => tracing::info!("SIGHUP: nothing to reload (client_tls_listen is not set)"),
                Some(acceptor) => match acceptor.reload() {
                    Ok(()) => tracing::info!(
                        cert = %acceptor.settings().cert_file,
                        "SIGHUP: client TLS certificate reloaded; new connections use it"
                    ),
                    Err(error) => {
                        tracing::error!(%error, "SIGHUP: client TLS reload failed; keeping the previous certificate")
                    }
                },
            }
        }
    }
    #[cfg(not(unix))]
    let _ = acceptor;
}

fn init_logging(cli: &Cli) -> Result<(), String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{fmt, reload, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_for_verbosity(cli.verbosity).to_string()));
    // The filter sits behind a reload handle so the admin port can change the level (`/setloglevel`).
    let (filter, handle) = reload::Layer::new(filter);
    install_log_level(cli.verbosity, move |filter| handle.reload(filter).map_err(|error| error.to_string()));
    let registry = tracing_subscriber::registry().with(filter);
    match &cli.output {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|error| format!("cannot open log file '{}': {error}", path.display()))?;
            let layer =
                fmt::layer().with_target(false).with_ansi(false).with_writer(std::sync::Mutex::new(file));
            registry.with(layer).init();
        }
        // Colours only for a person at a terminal, never in files or pipes (issue 7.7).
        None => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let layer = fmt::layer().with_target(false).with_ansi(ansi).with_writer(std::io::stderr);
            registry.with(layer).init();
        }
    }
    Ok(())
}

/// Lets the admin port change the log filter: verbosity → `EnvFilter` → `reload`.
fn install_log_level(
    verbosity: u8,
    reload: impl Fn(tracing_subscriber::EnvFilter) -> Result<(), String> + Send + Sync + 'static,
) {
    dynomite::log_level::install(
        verbosity,
        Box::new(move |verbosity| {
            reload(tracing_subscriber::EnvFilter::new(level_for_verbosity(verbosity).to_string()))
        }),
    );
}
