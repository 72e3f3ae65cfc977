//! The server binary: configuration → application → serve.

use std::process::ExitCode;

use broker_inapp::config::Settings;
use broker_inapp::startup::Application;
use broker_inapp::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init(std::io::stdout);
    let path = std::env::var("INAPP_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
    let settings = match Settings::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("broker-inapp: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let simulator = settings.uses_simulator();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("broker-inapp: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(addr = %app.addr(), simulator, "broker-inapp listening");
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("broker-inapp: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
