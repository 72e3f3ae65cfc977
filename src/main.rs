//! The server binary: configuration → application → serve.

use std::process::ExitCode;

use broker_inapp::config::Settings;
use broker_inapp::startup::Application;
use broker_inapp::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    return_large_buffers();
    let path = std::env::var("INAPP_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
    if std::env::args().nth(1).as_deref() == Some("precompress") {
        return precompress();
    }
    if std::env::args().nth(1).as_deref() == Some("check-config") {
        telemetry::init(std::io::stdout, false);
        return check_config(&path);
    }
    let settings = match Settings::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("broker-inapp: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(std::io::stdout, settings.server.log_format == broker_inapp::config::LogFormat::Json);
    match std::env::args().nth(1).as_deref() {
        Some("create-admin") => return create_admin(settings).await,
        Some("create-staff") => return create_staff_member(settings).await,
        Some("create-user") => return create_user(settings).await,
        Some("hash-password") => return hash_password(),
        Some("migrate") => return migrate(settings).await,
        _ => {}
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

/// `broker-inapp check-config`: loads the configuration as the server would
/// and lists everything production refuses, each by its key. Exits 0 when a
/// production start would succeed, 1 when something would be refused, 2 when
/// the configuration does not load at all.
fn check_config(path: &str) -> ExitCode {
    let settings = match Settings::load_for_check(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("broker-inapp: {e}");
            return ExitCode::from(2);
        }
    };
    let refusals = settings.production_refusals();
    if refusals.is_empty() {
        println!("{path}: ready for production (nothing production refuses)");
        return ExitCode::SUCCESS;
    }
    println!("{path}: production would refuse {} settings:", refusals.len());
    for r in &refusals {
        println!("  {r}");
    }
    if !settings.enforces_production_rules() {
        println!("(this configuration runs in development mode, where these are allowed)");
    }
    ExitCode::from(1)
}

/// `broker-inapp create-staff <email> <role>`: a staff member of any role
/// (admin, compliance, support, finance). Password from
/// `INAPP_STAFF_PASSWORD` or stdin.
async fn create_staff_member(settings: Settings) -> ExitCode {
    use broker_inapp::backoffice::{create_staff, Role};
    let args: Vec<String> = std::env::args().collect();
    let (Some(email), Some(role)) = (args.get(2), args.get(3).and_then(|r| Role::parse(r))) else {
        eprintln!("usage: broker-inapp create-staff <email> <admin|compliance|support|finance>   (password from INAPP_STAFF_PASSWORD or stdin)");
        return ExitCode::from(2);
    };
    let Some(password) = password_from("INAPP_STAFF_PASSWORD") else { return ExitCode::from(2) };
    let Some(store) = open_store(&settings).await else { return ExitCode::from(2) };
    match create_staff(&store, email, &password, role).await {
        Ok(()) => {
            println!("{} {email} created; sign in at /backoffice", role.as_str());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broker-inapp: {e}");
            ExitCode::from(1)
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
    let Some(password) = password_from("INAPP_ADMIN_PASSWORD") else { return ExitCode::from(2) };
    let Some(store) = open_store(&settings).await else { return ExitCode::from(2) };
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

/// `broker-inapp precompress DIR [--fast]`: a brotli and a gzip copy next to
/// each compressible file of the built site (see `assets`), once, at build
/// time (`scripts/package.sh` runs it; `--fast` for a development build).
fn precompress() -> ExitCode {
    use broker_inapp::assets::Effort;
    let args: Vec<String> = std::env::args().skip(2).collect();
    let (dir, effort) = match args.as_slice() {
        [dir] => (dir, Effort::Best),
        [dir, fast] if fast == "--fast" => (dir, Effort::Fast),
        _ => {
            eprintln!("usage: broker-inapp precompress DIR [--fast]");
            return ExitCode::from(2);
        }
    };
    match broker_inapp::assets::precompress(std::path::Path::new(dir), effort) {
        Ok(done) => {
            println!("precompressed {} files, {} bytes: brotli {} bytes, gzip {} bytes", done.files, done.bytes, done.brotli_bytes, done.gzip_bytes);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broker-inapp: precompressing {dir}: {e}");
            ExitCode::from(1)
        }
    }
}

/// `broker-inapp migrate`: brings the database up to this version's schema
/// and exits, so a deployment can migrate once before starting (or rolling)
/// its instances. Starting the server migrates too; both are safe to run
/// from several places at once (PostgreSQL: under an advisory lock).
async fn migrate(settings: Settings) -> ExitCode {
    let Some(store) = open_store(&settings).await else { return ExitCode::from(2) };
    match store.migration().await {
        Ok(version) => {
            println!("database migrated: at migration {version}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broker-inapp: {e}");
            ExitCode::from(1)
        }
    }
}

/// A password from the environment variable or, if unset, the first line of
/// stdin, so it never sits in the shell history or the process list.
fn password_from(var: &str) -> Option<String> {
    if let Ok(p) = std::env::var(var) {
        return Some(p);
    }
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("broker-inapp: could not read the password from stdin");
        return None;
    }
    Some(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn open_store(settings: &Settings) -> Option<broker_inapp::store::Store> {
    match broker_inapp::store::connect(&settings.storage.database_url).await {
        Ok(store) => Some(store),
        Err(e) => {
            eprintln!("broker-inapp: cannot open storage: {e}");
            None
        }
    }
}

/// `broker-inapp create-user <email> <login>`: a CRM user for Full SSO mode,
/// who signs in on `/oauth2/sign-in` and opens screens for trading account
/// `<login>`. Password from `INAPP_USER_PASSWORD` or stdin.
async fn create_user(settings: Settings) -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(email), Some(login)) = (args.get(2), args.get(3).and_then(|l| l.parse::<broker_inapp::domain::Login>().ok())) else {
        eprintln!("usage: broker-inapp create-user <email> <login>   (password from INAPP_USER_PASSWORD or stdin)");
        return ExitCode::from(2);
    };
    let Some(password) = password_from("INAPP_USER_PASSWORD") else { return ExitCode::from(2) };
    let Some(store) = open_store(&settings).await else { return ExitCode::from(2) };
    match broker_inapp::sso::create_user(&store, email, &password, login).await {
        Ok(user_id) => {
            println!("user {email} created: userId {user_id}, login {login}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broker-inapp: {e}");
            ExitCode::from(1)
        }
    }
}

/// `broker-inapp hash-password`: prints the argon2 hash of a password (from
/// `INAPP_PASSWORD` or stdin) for `identity.crm_password_hash`.
fn hash_password() -> ExitCode {
    let Some(password) = password_from("INAPP_PASSWORD") else { return ExitCode::from(2) };
    if password.chars().count() < 12 {
        eprintln!("broker-inapp: the password must be at least 12 characters");
        return ExitCode::from(1);
    }
    println!("{}", broker_inapp::security::password::hash_password(&password));
    ExitCode::SUCCESS
}

/// glibc raises its mmap threshold each time a large buffer is freed, so
/// after a few decoded images every later buffer up to 32 MiB comes from a
/// thread's arena and stays resident when freed: the upload bomb benchmark
/// peaked near 300 MiB with 256 MiB of inspection budget. A fixed 1 MiB
/// threshold gives every large buffer back at once (peak 200 MiB, measured
/// with `bench/bombs.sh 20`).
fn return_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter, under the allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
