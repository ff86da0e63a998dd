//! The `newsdesk` binary: commands only. The work happens in the crates.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use newsdesk_config::{Config, Overrides};
use newsdesk_db::Database;
use std::path::PathBuf;
use std::sync::Arc;

/// Newsdesk: a news publishing platform.
#[derive(Debug, Parser)]
#[command(name = "newsdesk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives and which database to use; shared by every command.
#[derive(Debug, Args)]
struct Common {
    /// Folder for the SQLite database, media files and `newsdesk.toml`.
    #[arg(long, env = "NEWSDESK_DATA_DIR", default_value = "newsdesk-data")]
    data_dir: PathBuf,
    /// Database URL: `sqlite://FILE` or `postgres://USER@HOST/DB`.
    /// Default: `newsdesk.db` in the data folder.
    #[arg(long = "database", env = "NEWSDESK_DATABASE_URL")]
    database: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site, creating and migrating the database when needed.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "NEWSDESK_LISTEN")]
        listen: Option<String>,
        /// A folder of templates overriding the built-in theme by name.
        #[arg(long)]
        theme: Option<PathBuf>,
        /// Seed the demo newsroom first when the database has no articles.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if needed and apply pending migrations.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Seed the demo newsroom into an empty database.
    Demo {
        #[command(flatten)]
        common: Common,
        /// How many articles to write.
        #[arg(long, default_value_t = 320)]
        articles: usize,
        /// Same seed, same newsroom.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

fn load_config(
    common: &Common,
    listen: Option<String>,
    theme: Option<PathBuf>,
) -> anyhow::Result<Config> {
    let mut config = Config::load(&common.data_dir)?;
    // clap has already folded the environment variables into the flags, so
    // one apply covers both layers in the right order (flags win).
    config.apply(Overrides { listen, database_url: common.database.clone(), theme_dir: theme });
    config.validate()?;
    Ok(config)
}

async fn open(config: &Config) -> anyhow::Result<Database> {
    let url = config.database_url();
    let db = Database::connect(&url)
        .await
        .with_context(|| format!("opening the database at `{}`", redact(&url)))?;
    let ran = db.migrate().await.context("migrating the database")?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    Ok(db)
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn seed_demo(
    db: &Database,
    config: &Config,
    articles: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let existing = db.count_published().await?;
    anyhow::ensure!(
        existing == 0 && db.list_sections().await?.is_empty(),
        "the database already has content ({existing} published articles); the demo newsroom is only seeded into an empty one"
    );
    let started = std::time::Instant::now();
    let report = newsdesk_demo::seed(
        db,
        &config.media_dir(),
        &newsdesk_demo::DemoOptions {
            articles,
            seed,
            anchor: chrono::Utc::now(),
            tz: config.timezone()?,
        },
    )
    .await?;
    println!(
        "Seeded the demo newsroom: {} articles in {} running stories, {} image files ({:.1} s).",
        report.articles,
        report.stories,
        report.image_files,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEWSDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_target(false)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { common, listen, theme, demo } => {
            let config = load_config(&common, listen, theme)?;
            let db = open(&config).await?;
            if demo && db.count_published().await? == 0 && db.list_sections().await?.is_empty() {
                seed_demo(&db, &config, 320, 2026).await?;
            }
            let addr = config.listen_addr()?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            let local = listener.local_addr()?;
            let app = Arc::new(newsdesk_web::App::new(config.clone(), db.clone()).await?);
            if !app.renderer.overridden().is_empty() {
                println!("Theme overrides: {}", app.renderer.overridden().join(", "));
            }
            println!("Newsdesk is serving http://{local}/ (data in {})", config.data_dir.display());
            newsdesk_web::serve(app, listener, shutdown_signal()).await?;
            db.close().await;
            Ok(())
        }
        Command::Migrate { common } => {
            let config = load_config(&common, None, None)?;
            open(&config).await?;
            println!("Database is up to date: {}", redact(&config.database_url()));
            Ok(())
        }
        Command::Demo { common, articles, seed } => {
            let config = load_config(&common, None, None)?;
            let db = open(&config).await?;
            seed_demo(&db, &config, articles, seed).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn cli_parses_every_command() {
        Cli::try_parse_from(["newsdesk", "serve", "--demo", "--listen", "127.0.0.1:0"])
            .expect("serve");
        Cli::try_parse_from(["newsdesk", "migrate", "--database", "sqlite://x.db"])
            .expect("migrate");
        Cli::try_parse_from(["newsdesk", "demo", "--articles", "50", "--seed", "3"]).expect("demo");
        assert!(Cli::try_parse_from(["newsdesk", "serve", "--bogus"]).is_err());
    }
}
