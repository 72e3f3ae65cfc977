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
    if std::env::args().nth(1).as_deref() == Some("create-admin") {
        return create_admin(settings).await;
    }
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

/// `broker-inapp create-admin <email>`: creates the first admin. The password
/// comes from `INAPP_ADMIN_PASSWORD` or, if unset, the first line of stdin,
/// so it never sits in the shell history or the process list.
async fn create_admin(settings: Settings) -> ExitCode {
    use broker_inapp::backoffice::{create_staff, Role};
    let Some(email) = std::env::args().nth(2) else {
        eprintln!("usage: broker-inapp create-admin <email>   (password from INAPP_ADMIN_PASSWORD or stdin)");
        return ExitCode::from(2);
    };
    let password = match std::env::var("INAPP_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_err() {
                eprintln!("broker-inapp: could not read the password from stdin");
                return ExitCode::from(2);
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let store = match broker_inapp::store::connect(&settings.storage.database_url).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("broker-inapp: cannot open storage: {e}");
            return ExitCode::from(2);
        }
    };
    match create_staff(&store, &email, &password, Role::Admin).await {
        Ok(()) => {
            println!("admin {email} created; sign in at /backoffice");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broker-inapp: {e}");
            ExitCode::from(1)
        }
    }
}
