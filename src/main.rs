//! The `newsdesk` binary: commands only. The work happens in the crates.

mod logging;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use newsdesk_app::worker::{Worker, WorkerConfig};
use newsdesk_app::{Actor, Newsroom};
use newsdesk_config::{Config, Overrides};
use newsdesk_db::{Database, JobState};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// mimalloc instead of glibc's malloc: 15–25% less time for a static
/// export. Built without transparent huge pages (Cargo.toml: `no_thp`),
/// which cost every thread's heap a 2 MiB page, and overriding `malloc`
/// itself (`override`), so SQLite's C code allocates from it too (12%
/// less CPU again); the figures are in bench/README.md ("Latest: article
/// pages built in batches, mimalloc", "List pages in batches, SQLite on
/// mimalloc").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    #[arg(long, global = true, env = "NEWSDESK_DATA_DIR", default_value = "newsdesk-data")]
    data_dir: PathBuf,
    /// Database URL: `sqlite://FILE` or `postgres://USER@HOST/DB`.
    /// Default: `newsdesk.db` in the data folder.
    #[arg(long = "database", global = true, env = "NEWSDESK_DATABASE_URL")]
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
    /// Bring content in from another system; running it again changes
    /// only what changed there, and finishes an import that was stopped.
    Import {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Write the site out.
    Export {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: ExportAction,
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
    /// Change an article from the command line (through the same use cases
    /// as the back office; every running server sees the change).
    Article {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: ArticleAction,
    },
    /// Add pictures to the media library, or list it (through the same use
    /// cases as the back office: the same checks, renditions as jobs).
    Media {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: MediaAction,
    },
    /// Inspect and run background jobs.
    Jobs {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Make, list and revoke API keys: admin tokens that act as a user, and
    /// content keys that read published content. A secret is shown once.
    Token {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Add, list and remove webhooks (administrators do the same at
    /// /admin/integrations).
    Webhook {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Manage the back office's accounts (the first owner is made here).
    User {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Create an account. Asks for the password on a terminal; reads it
    /// from standard input with --password-stdin.
    Add {
        /// Sign-in address.
        #[arg(long)]
        email: String,
        /// Name shown in the back office.
        #[arg(long)]
        name: String,
        /// contributor, author, editor, administrator or owner.
        #[arg(long)]
        role: String,
        /// The author profile (its slug) the user writes as.
        #[arg(long)]
        author: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set an account's password.
    SetPassword {
        /// Sign-in address.
        #[arg(long)]
        email: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account.
    List,
    /// Give an account another role.
    SetRole {
        /// Sign-in address.
        #[arg(long)]
        email: String,
        /// contributor, author, editor, administrator or owner.
        #[arg(long)]
        role: String,
    },
    /// Stop an account from signing in (its history stays).
    Disable {
        /// Sign-in address.
        #[arg(long)]
        email: String,
    },
    /// Let a disabled account sign in again.
    Enable {
        /// Sign-in address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum ArticleAction {
    /// List the most recently changed articles with their ids.
    List {
        /// Only articles in this status: draft, review, scheduled,
        /// published or unpublished.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Publish an article now.
    Publish {
        /// The article's id.
        id: i64,
        /// Refuse if the article is no longer at this version.
        #[arg(long)]
        version: Option<i32>,
    },
    /// Take a published article down (its URL then answers 410).
    Unpublish {
        /// The article's id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Make an admin token acting as a user, with that user's role.
    Create {
        /// The user's sign-in address.
        #[arg(long)]
        email: String,
        /// What the token is for ("newsletter script").
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: read, articles, media, taxonomy (default:
        /// everything the role allows).
        #[arg(long, default_value = "")]
        scopes: String,
        /// Days until it stops working (default: never).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// Make a content key (reads published content through the Content API).
    ContentKey {
        /// What the key is for ("iOS app").
        #[arg(long)]
        name: String,
    },
    /// List keys and tokens (never their secrets).
    List,
    /// Revoke a key or token by its number.
    Revoke {
        /// The number `token list` shows.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum WebhookAction {
    /// Add a webhook; prints its signing secret.
    Add {
        /// What it is for.
        #[arg(long)]
        name: String,
        /// The http(s) address deliveries are posted to.
        #[arg(long)]
        url: String,
        /// An event to send (repeat for several; default: every event).
        #[arg(long = "event")]
        events: Vec<String>,
    },
    /// List webhooks with their addresses and events.
    List,
    /// Remove a webhook and its delivery log.
    Remove {
        /// The number `webhook list` shows.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum ExportAction {
    /// The public site as files for any static host or CDN: pages, list
    /// pages, feeds, sitemaps, media and redirects (search left out). A
    /// second run writes only what changed.
    Static {
        /// The folder to write.
        dir: PathBuf,
        /// The address the files will be served from (default: the site's
        /// `site.url`).
        #[arg(long)]
        base_url: Option<String>,
        /// Pages rendered at once (default: twice the processors).
        #[arg(long)]
        parallel: Option<usize>,
    },
    /// The whole site in one file: content with every revision, media,
    /// taxonomy, users (without passwords), settings and redirects. Made
    /// from one consistent snapshot while the site keeps serving.
    Backup {
        /// The archive to write (`.tar.gz`).
        file: PathBuf,
    },
}

/// How an importer may reach the network for pictures (and feeds).
#[derive(Debug, Args)]
struct Fetching {
    /// Never fetch over HTTP (pictures only from the folder given).
    #[arg(long)]
    no_fetch: bool,
    /// Let fetches reach loopback and private addresses.
    #[arg(long)]
    fetch_private: bool,
}

#[derive(Debug, Subcommand)]
enum ImportAction {
    /// IPTC ninjs items (1.x, 2.x, 3.x): a file with one item or a list,
    /// or a folder of such files. Keyed by uri; older versions are skipped;
    /// withheld and canceled items stay off the site; embargoes schedule.
    Ninjs {
        /// The file or folder.
        path: PathBuf,
        /// The section the items go into (made when missing).
        #[arg(long, default_value = "Wire")]
        section: String,
        #[command(flatten)]
        net: Fetching,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// The items of an RSS 2.0, Atom or JSON Feed document (a file or an
    /// http(s) address) as published articles in one section; again later,
    /// only new and changed items are written.
    Feed {
        /// The feed: a file, or its address.
        source: String,
        /// The section the items go into (made when missing).
        #[arg(long, default_value = "Wire")]
        section: String,
        #[command(flatten)]
        net: Fetching,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// A Ghost export (Settings → Advanced → Import/Export → Export
    /// content, Ghost 4–6): posts, pages, staff, tags and feature images.
    Ghost {
        /// The export file (JSON).
        file: PathBuf,
        /// The Ghost site's address (exports do not say it), for images
        /// written as `__GHOST_URL__/…` and the old addresses.
        #[arg(long)]
        url: String,
        /// The Ghost site's `content/images` folder, for its images.
        #[arg(long)]
        images: Option<PathBuf>,
        #[command(flatten)]
        net: Fetching,
        /// The section Ghost pages go into.
        #[arg(long, default_value = "pages")]
        pages_section: String,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// A backup made by `newsdesk export backup`, into a new, empty site
    /// (either backend). Accounts come back without passwords: set them
    /// with `newsdesk user set-password`.
    Backup {
        /// The archive.
        file: PathBuf,
    },
    /// A WordPress export (Tools → Export → All content): posts, pages,
    /// users, categories, tags and images, with old addresses redirected.
    Wordpress {
        /// The export file (WXR).
        file: PathBuf,
        /// The old site's `wp-content/uploads` folder, for its images.
        #[arg(long)]
        uploads: Option<PathBuf>,
        #[command(flatten)]
        net: Fetching,
        /// The section WordPress pages go into.
        #[arg(long, default_value = "pages")]
        pages_section: String,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum MediaAction {
    /// Upload JPEG, PNG, WebP or GIF files; credit, caption and rights are
    /// read from each file unless given here.
    Add {
        /// The files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Alt text for every file added.
        #[arg(long)]
        alt: Option<String>,
        /// Credit line for every file added.
        #[arg(long)]
        credit: Option<String>,
    },
    /// List the newest items with their numbers.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
enum JobsAction {
    /// List queued, running and dead jobs.
    List {
        /// Only jobs in this state: queued, running or dead.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Put a dead or waiting job back in the queue to run now.
    Retry {
        /// The job's id.
        id: i64,
    },
    /// Run a worker without serving pages (for servers that only run jobs).
    Run {
        /// Run the jobs that are due, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Queue a job that a worker answers with "pong" in its log.
    Ping {
        /// How long the job takes, in milliseconds.
        #[arg(long, default_value_t = 0)]
        sleep_ms: u64,
    },
    /// Queue a rebuild of every related-stories rail.
    RebuildRelated,
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

/// How long `serve` keeps trying to reach a database that is not up yet
/// (a server often starts before its database).
const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

async fn open(config: &Config) -> anyhow::Result<Database> {
    open_with_patience(config, Duration::ZERO, false).await
}

/// Connects and migrates; while the database cannot be reached, retries
/// with growing pauses for up to `patience`, saying why each time. With
/// `map_file`, SQLite connections map the file
/// ([`Database::connect_mapping_file`]).
async fn open_with_patience(
    config: &Config,
    patience: Duration,
    map_file: bool,
) -> anyhow::Result<Database> {
    let url = config.database_url();
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(500);
    let db = loop {
        let connect = if map_file {
            Database::connect_mapping_file(&url).await
        } else {
            Database::connect(&url).await
        };
        match connect {
            Ok(db) => break db,
            Err(e) if e.is_unavailable() && started.elapsed() + pause <= patience => {
                tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64, "database not reachable yet");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("opening the database at `{}`", redact(&url)));
            }
        }
    };
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

/// The operator running a command, as revisions and logs name them.
fn operator() -> Actor {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"));
    Actor::operator(user.as_deref().unwrap_or("command line"))
}

fn worker_config(config: &Config) -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_secs(config.jobs.lease_seconds),
        ..WorkerConfig::default()
    }
}

async fn is_empty(db: &Database) -> anyhow::Result<bool> {
    Ok(db.count_articles().await? == 0 && db.list_sections().await?.is_empty())
}

async fn seed_demo(
    newsroom: &Newsroom,
    config: &Config,
    articles: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let db = newsroom.db();
    let existing = db.count_published().await?;
    anyhow::ensure!(
        is_empty(db).await?,
        "the database already has content ({existing} published articles); the demo newsroom is only seeded into an empty one"
    );
    let started = std::time::Instant::now();
    let report = newsdesk_demo::seed(
        newsroom,
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

fn init_logging() -> logging::FlushGuard {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // Lines are written by a background thread, so a request never waits
    // on standard output (see `logging`). Request lines, one per request,
    // take a cheaper path than the rest.
    let (writer, guard) = logging::BufferedStdout::start();
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error"));
    let is_request = |m: &tracing::Metadata<'_>| m.target() == logging::REQUEST_TARGET;
    let general = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer.clone())
        .with_filter(tracing_subscriber::filter::filter_fn(move |m| !is_request(m)));
    let requests = logging::RequestLines::new(writer)
        .with_filter(tracing_subscriber::filter::filter_fn(is_request));
    tracing_subscriber::registry().with(filter).with(general).with(requests).init();
    guard
}

fn parse_state(s: &str) -> anyhow::Result<JobState> {
    match s {
        "queued" => Ok(JobState::Queued),
        "running" => Ok(JobState::Running),
        "dead" => Ok(JobState::Dead),
        other => anyhow::bail!("`{other}` is not a job state: use queued, running or dead"),
    }
}

async fn jobs(config: &Config, action: JobsAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Arc::new(
        Newsroom::new(db.clone(), config.timezone()?)
            .with_library(newsdesk_web::media_library(config))
            .with_webhook_policy(newsdesk_web::webhook_policy(config)),
    );
    match action {
        JobsAction::List { state, limit } => {
            let state = state.as_deref().map(parse_state).transpose()?;
            let rows = db.list_jobs(state, limit).await?;
            if rows.is_empty() {
                println!("No jobs.");
            }
            for j in rows {
                println!(
                    "{:>8}  {:<8} {:<26} tries {}/{}  run at {}{}",
                    j.id,
                    j.state.as_str(),
                    j.kind,
                    j.attempts,
                    j.max_attempts,
                    j.run_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    j.last_error
                        .map(|e| format!("\n          last error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        JobsAction::Retry { id } => {
            anyhow::ensure!(
                db.retry_job(id).await?,
                "job {id} is not dead or waiting (it may be running, or gone)"
            );
            println!("Job {id} is queued to run now.");
        }
        JobsAction::Run { once } => {
            let worker =
                Worker::new(newsroom.clone(), newsdesk_app::jobs::builtin(), worker_config(config));
            if once {
                let done = worker.drain().await?;
                println!("Ran {} job(s).", done.len());
            } else {
                println!("Running jobs as {} (Ctrl-C to stop).", worker.name());
                let (tx, rx) = tokio::sync::watch::channel(false);
                let notifications = tokio::spawn(newsdesk_app::listen(
                    db.with_own_counter(),
                    newsroom.signals().clone(),
                    rx.clone(),
                ));
                let task = tokio::spawn(worker.run(rx));
                shutdown_signal().await;
                let _ = tx.send(true);
                let _ = task.await;
                let _ = notifications.await;
            }
        }
        JobsAction::Ping { sleep_ms } => {
            newsroom.ping_workers(&operator(), sleep_ms).await?;
            println!("Queued a ping; a running worker logs \"pong\".");
        }
        JobsAction::RebuildRelated => {
            newsroom.request_related_rebuild(&operator()).await?;
            println!("Queued a rebuild of every related-stories rail.");
        }
    }
    db.close().await;
    Ok(())
}

async fn article(config: &Config, action: ArticleAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?);
    // The public address is known only when the site's URL is configured;
    // otherwise the command reports the path.
    let base =
        config.site.url.clone().map(|u| u.trim_end_matches('/').to_owned()).unwrap_or_default();
    match action {
        ArticleAction::List { status, limit } => {
            let status = status
                .as_deref()
                .map(|s| s.parse::<newsdesk_core::ArticleStatus>().map_err(anyhow::Error::msg))
                .transpose()?;
            let rows = db.recent_articles(status, limit).await?;
            if rows.is_empty() {
                println!("No articles.");
            }
            for (id, status, path, headline, updated) in rows {
                println!(
                    "{id:>8}  {status:<11} {}  {headline}\n          {}",
                    updated.format("%Y-%m-%d %H:%M"),
                    path.unwrap_or_else(|| "(no public path yet)".into())
                );
            }
        }
        ArticleAction::Publish { id, version } => {
            let saved = newsroom.publish(&operator(), id, version).await?;
            println!(
                "Published article {id} at {base}{} (version {}).",
                saved.article.path.unwrap_or_default(),
                saved.version
            );
        }
        ArticleAction::Unpublish { id } => {
            let saved = newsroom.unpublish(&operator(), id).await?;
            println!(
                "Unpublished article {id}; {base}{} now answers 410 (version {}).",
                saved.article.path.unwrap_or_default(),
                saved.version
            );
        }
    }
    db.close().await;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let log = init_logging();
    let result = newsdesk_web::server::runtime()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(cli)));
    drop(log);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message and its causes, for people; never a backtrace.
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { common, listen, theme, demo } => {
            let config = load_config(&common, listen, theme)?;
            // The address first: a port in use is reported before anything
            // is created on disk.
            let addr = config.listen_addr()?;
            let listener = newsdesk_web::server::listen(addr)
                .with_context(|| format!("listening on {addr}"))?;
            let db = open_with_patience(&config, STARTUP_PATIENCE, false).await?;
            let newsroom = Newsroom::new(db.clone(), config.timezone()?)
                .with_library(newsdesk_web::media_library(&config));
            if demo {
                if is_empty(&db).await? {
                    seed_demo(&newsroom, &config, 320, 2026).await?;
                } else {
                    println!("The database already has content; the demo newsroom is not seeded.");
                }
            }
            let local = listener.local_addr()?;
            let files = newsdesk_web::server::raise_file_limit();
            tracing::debug!(open_files = files, "open-file limit");
            let app = Arc::new(newsdesk_web::App::new(config.clone(), db.clone()).await?);
            if !app.renderer.overridden().is_empty() {
                println!("Theme overrides: {}", app.renderer.overridden().join(", "));
            }
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            // Webhook deliveries have a worker of their own, so a receiver
            // that is slow to answer never holds up scheduled publishing or
            // renditions, and those never hold up a delivery.
            const LANE: [&str; 1] = ["webhook.deliver"];
            let mut workers: Vec<_> = (0..config.jobs.workers)
                .map(|_| {
                    let w = Worker::new(
                        app.newsroom.clone(),
                        newsdesk_app::jobs::builtin(),
                        worker_config(&config),
                    )
                    .except(&LANE);
                    tokio::spawn(w.run(stop_rx.clone()))
                })
                .collect();
            if config.jobs.workers > 0 {
                let w = Worker::new(
                    app.newsroom.clone(),
                    newsdesk_app::jobs::builtin(),
                    worker_config(&config),
                )
                .only(&LANE);
                workers.push(tokio::spawn(w.run(stop_rx.clone())));
            }
            println!("Newsdesk is serving http://{local}/ (data in {})", config.data_dir.display());
            newsdesk_web::serve(app, listener, shutdown_signal()).await?;
            let _ = stop_tx.send(true);
            for w in workers {
                let _ = w.await;
            }
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
            let newsroom = Newsroom::new(db.clone(), config.timezone()?)
                .with_library(newsdesk_web::media_library(&config));
            let seeded = seed_demo(&newsroom, &config, articles, seed).await;
            // Closed, not dropped: the last connection folds SQLite's
            // write-ahead log into the file, which a process that just
            // exits leaves behind (150 MB after 10,000 articles).
            db.close().await;
            seeded
        }
        Command::Article { common, action } => {
            let config = load_config(&common, None, None)?;
            article(&config, action).await
        }
        Command::Jobs { common, action } => {
            let config = load_config(&common, None, None)?;
            jobs(&config, action).await
        }
        Command::Media { common, action } => {
            let config = load_config(&common, None, None)?;
            media(&config, action).await
        }
        Command::User { common, action } => {
            let config = load_config(&common, None, None)?;
            user(&config, action).await
        }
        Command::Webhook { common, action } => {
            let config = load_config(&common, None, None)?;
            webhook(&config, action).await
        }
        Command::Token { common, action } => {
            let config = load_config(&common, None, None)?;
            token(&config, action).await
        }
        Command::Import { common, action } => {
            let config = load_config(&common, None, None)?;
            import(&config, action).await
        }
        Command::Export { common, action } => {
            let config = load_config(&common, None, None)?;
            export(&config, action).await
        }
    }
}

async fn import(config: &Config, action: ImportAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?)
        .with_library(newsdesk_web::media_library(config))
        .with_webhook_policy(newsdesk_web::webhook_policy(config));
    let actor = operator();
    match action {
        ImportAction::Backup { file } => {
            let started = std::time::Instant::now();
            let folders = newsdesk_import::backup::Folders {
                media: config.media_dir(),
                originals: config.originals_dir(),
            };
            let r = newsdesk_import::backup::import(&newsroom, &actor, &folders, &file)
                .await
                .with_context(|| format!("restoring {}", file.display()))?;
            let rows: u64 = r.rows.values().sum();
            println!(
                "Restored {rows} rows ({} articles, {} revisions, {} media items, {} users) and {} files in {:.1} s; {} scheduled articles queued again.",
                r.rows.get("articles").unwrap_or(&0),
                r.rows.get("article_revisions").unwrap_or(&0),
                r.rows.get("media").unwrap_or(&0),
                r.rows.get("users").unwrap_or(&0),
                r.files,
                started.elapsed().as_secs_f64(),
                r.rescheduled
            );
            println!(
                "Accounts have no passwords: set them with `newsdesk user set-password --email E` (and `newsdesk user enable --email E` for accounts made disabled by an import). API keys and webhooks are not in backups: make them again."
            );
        }
        ImportAction::Ninjs { path, section, net, report } => {
            let opts = fetching(&net);
            let started = std::time::Instant::now();
            let progress = Bar::new("{pos}/{len} records");
            let r = newsdesk_import::ninjs::import(
                &newsroom, &actor, &path, &section, &opts, &progress,
            )
            .await
            .with_context(|| format!("importing {}", path.display()))?;
            drop(progress);
            finish_import(&r, started, report)?;
        }
        ImportAction::Feed { source, section, net, report } => {
            let opts = fetching(&net);
            let started = std::time::Instant::now();
            let progress = Bar::new("{pos}/{len} records");
            let r = newsdesk_import::feed::import(
                &newsroom, &actor, &source, &section, &opts, &progress,
            )
            .await
            .with_context(|| format!("importing {source}"))?;
            drop(progress);
            finish_import(&r, started, report)?;
        }
        ImportAction::Ghost { file, url, images, net, pages_section, report } => {
            let opts = newsdesk_import::wordpress::Options {
                uploads: images,
                fetch: !net.no_fetch,
                fetch_private: net.fetch_private,
                pages_section,
                ..Default::default()
            };
            let started = std::time::Instant::now();
            let progress = Bar::new("{pos}/{len} records");
            let r =
                newsdesk_import::ghost::import(&newsroom, &actor, &file, &url, &opts, &progress)
                    .await
                    .with_context(|| format!("importing {}", file.display()))?;
            drop(progress);
            finish_import(&r, started, report)?;
        }
        ImportAction::Wordpress { file, uploads, net, pages_section, report } => {
            let opts = newsdesk_import::wordpress::Options {
                uploads,
                fetch: !net.no_fetch,
                fetch_private: net.fetch_private,
                pages_section,
                ..Default::default()
            };
            let progress = Bar::new("{bytes}/{total_bytes}");
            let started = std::time::Instant::now();
            let result =
                newsdesk_import::wordpress::import(&newsroom, &actor, &file, &opts, &progress)
                    .await;
            drop(progress);
            let r = result.with_context(|| format!("importing {}", file.display()))?;
            finish_import(&r, started, report)?;
        }
    }
    Ok(())
}

/// An import's progress bar, drawn only on a terminal (indicatif draws
/// nothing when standard error is not one) and cleared when dropped.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new(counts: &str) -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{msg:28}} [{{bar:40}}] {counts} ({{eta}})"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl newsdesk_import::wordpress::Progress for Bar {
    fn advanced(&self, pass: u8, position: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(position);
        self.0.set_message(match pass {
            0 => "reading the file through",
            1 => "people, terms and images",
            _ => "posts and pages",
        });
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Import options for commands without an uploads folder.
fn fetching(net: &Fetching) -> newsdesk_import::wordpress::Options {
    newsdesk_import::wordpress::Options {
        fetch: !net.no_fetch,
        fetch_private: net.fetch_private,
        ..Default::default()
    }
}

/// Prints an import's report (and writes it as JSON when asked); fails
/// when an item could not be imported.
fn finish_import(
    r: &newsdesk_import::Report,
    started: std::time::Instant,
    report: Option<PathBuf>,
) -> anyhow::Result<()> {
    print!("{r}");
    println!("Took {:.1} s.", started.elapsed().as_secs_f64());
    if let Some(path) = report {
        std::fs::write(&path, serde_json::to_vec_pretty(r)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !r.is_clean() {
        anyhow::bail!(
            "{} item(s) were not imported (listed above); the rest is in",
            r.failed.len()
        );
    }
    if r.count("imported", "image") > 0 {
        println!("The pictures get their sizes from the server's worker (or `newsdesk jobs run`).");
    }
    Ok(())
}

async fn export(config: &Config, action: ExportAction) -> anyhow::Result<()> {
    // The static export reads most of the database, on several
    // connections at once.
    let db =
        open_with_patience(config, Duration::ZERO, matches!(action, ExportAction::Static { .. }))
            .await?;
    match action {
        ExportAction::Static { dir, base_url, parallel } => {
            let started = std::time::Instant::now();
            let mut config = config.clone();
            if let Some(u) = base_url {
                config.site.url = Some(u);
            }
            // Pages are built on every core (a server keeps one lane, so
            // builds never crowd out the connections).
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            newsdesk_web::lane::use_threads(cpus);
            let parallel = parallel.unwrap_or(2 * cpus);
            config.server.page_cache_entries = newsdesk_web::static_site::cache_entries(parallel);
            let app = Arc::new(newsdesk_web::App::new(config, db).await?);
            let r = newsdesk_web::static_site::export(app, &dir, parallel)
                .await
                .with_context(|| format!("writing {}", dir.display()))?;
            println!(
                "Exported {} pages and {} media files to {} in {:.1} s: {} files written, {} unchanged, {} removed, {} redirects.",
                r.pages,
                r.media_files,
                dir.display(),
                started.elapsed().as_secs_f64(),
                r.written,
                r.unchanged,
                r.removed,
                r.redirects
            );
            if !r.broken.is_empty() {
                for b in r.broken.iter().take(20) {
                    eprintln!("  broken link: {b}");
                }
                anyhow::bail!("{} links of the site did not answer", r.broken.len());
            }
        }
        ExportAction::Backup { file } => {
            let started = std::time::Instant::now();
            let folders = newsdesk_import::backup::Folders {
                media: config.media_dir(),
                originals: config.originals_dir(),
            };
            let m = newsdesk_import::backup::export(&db, &folders, &file)
                .await
                .with_context(|| format!("writing {}", file.display()))?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!(
                "Wrote {} ({:.1} MB): {} articles, {} revisions, {} media items, {} files, in {:.1} s.",
                file.display(),
                size as f64 / 1e6,
                m.tables.get("articles").map_or(0, |t| t.rows),
                m.tables.get("article_revisions").map_or(0, |t| t.rows),
                m.tables.get("media").map_or(0, |t| t.rows),
                m.media_files + m.original_files,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// A password from standard input (`--password-stdin`: its first line) or
/// typed twice on the terminal without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    use std::io::IsTerminal;
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no terminal to ask for the password on; pass it on standard input with --password-stdin"
    );
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Again: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

async fn media(config: &Config, action: MediaAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?)
        .with_library(newsdesk_web::media_library(config))
        .with_webhook_policy(newsdesk_web::webhook_policy(config));
    match action {
        MediaAction::Add { files, alt, credit } => {
            let actor = Actor::operator("command line");
            let from = newsdesk_app::sessions::Origin::default();
            let limit = config.media.max_upload_bytes();
            let mut failed = 0;
            for path in files {
                let shown = path.display();
                // Too large is known before reading.
                let size =
                    std::fs::metadata(&path).with_context(|| format!("reading {shown}"))?.len();
                let result = if size > limit {
                    Err(anyhow::anyhow!(
                        "larger than the limit of {} MB",
                        config.media.max_upload_mb
                    ))
                } else {
                    let bytes = std::fs::read(&path).with_context(|| format!("reading {shown}"))?;
                    let file_name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    add_one(
                        &newsroom,
                        &actor,
                        &from,
                        newsdesk_app::media::Upload { bytes, file_name },
                        &alt,
                        &credit,
                    )
                    .await
                };
                match result {
                    Ok((m, reused)) => println!(
                        "{shown}: {} {} ({} × {}){}",
                        if reused {
                            "already in the library (its texts left as they are) as"
                        } else {
                            "added as"
                        },
                        m.id,
                        m.width,
                        m.height,
                        if m.alt.is_none() || m.credit.is_none() {
                            "; needs alt text and credit before publication"
                        } else {
                            ""
                        }
                    ),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{shown}: not added: {e}");
                    }
                }
            }
            anyhow::ensure!(failed == 0, "{failed} file(s) not added");
            println!("Renditions are made by the server's worker (or `newsdesk jobs run`).");
        }
        MediaAction::List { limit } => {
            for m in db.list_media(&Default::default(), limit).await? {
                println!(
                    "{:>6}  {:>5} × {:<5}  {}  {}{}",
                    m.id,
                    m.width,
                    m.height,
                    if m.file_name.is_empty() { &m.file } else { &m.file_name },
                    m.credit.as_deref().unwrap_or("(no credit)"),
                    if m.ai_generated { "  [AI-generated]" } else { "" }
                );
            }
        }
    }
    Ok(())
}

/// Uploads one file and applies the texts given on the command line.
async fn add_one(
    newsroom: &Newsroom,
    actor: &Actor,
    from: &newsdesk_app::sessions::Origin,
    up: newsdesk_app::media::Upload,
    alt: &Option<String>,
    credit: &Option<String>,
) -> anyhow::Result<(newsdesk_core::Media, bool)> {
    let got = newsroom.upload_media(actor, up, from).await?;
    let mut m = got.media;
    // Texts given here are for a new item; an existing one keeps its own.
    if !got.reused && (alt.is_some() || credit.is_some()) {
        let edit = newsdesk_app::media::MediaEdit {
            alt: alt.clone().or(m.alt.clone()),
            caption: m.caption.clone(),
            credit: credit.clone().or(m.credit.clone()),
            rights: m.rights.clone(),
            creator: m.creator.clone(),
            focal: (m.focal_x, m.focal_y),
            ai_generated: m.ai_generated,
        };
        m = newsroom.edit_media(actor, m.id, edit, m.version, from).await?;
    }
    Ok((m, got.reused))
}

async fn user(config: &Config, action: UserAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?);
    let by_email = |email: String| {
        let db = db.clone();
        async move {
            let e = newsdesk_app::accounts::normalize_email(&email)?;
            db.find_user_by_email(&e)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account with the address {e}"))
        }
    };
    // Changes made here are audited as coming from the command line.
    let here = newsdesk_app::sessions::Origin::default();
    match action {
        UserAction::Add { email, name, role, author, password_stdin } => {
            let role = parse_role(&role)?;
            let author_id = match author {
                Some(slug) => Some(
                    db.list_authors()
                        .await?
                        .into_iter()
                        .find(|a| a.slug == slug)
                        .ok_or_else(|| anyhow::anyhow!("no author with the slug `{slug}`"))?
                        .id,
                ),
                None => None,
            };
            let password = read_password(password_stdin)?;
            let u = newsroom
                .add_user(
                    &operator(),
                    newsdesk_app::accounts::NewAccount { email, name, role, author_id, password },
                    &here,
                )
                .await?;
            println!("Added {} <{}> as {} (user {}).", u.name, u.email, u.role, u.id);
        }
        UserAction::SetPassword { email, password_stdin } => {
            let row = by_email(email).await?;
            let password = read_password(password_stdin)?;
            newsroom.set_password(&operator(), row.id, &password, &here).await?;
            println!("Password changed for {}.", row.email);
        }
        UserAction::List => {
            let users = newsroom.users().await?;
            if users.is_empty() {
                println!(
                    "No accounts. Make the first owner with `newsdesk user add --role owner`."
                );
            }
            for u in users {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{:>6}  {:<13} {:<8}  {} <{}>", u.id, u.role, state, u.name, u.email);
            }
        }
        UserAction::Disable { email } => {
            let row = by_email(email).await?;
            newsroom.set_user_disabled(&operator(), row.id, true, &here).await?;
            println!("{} can no longer sign in.", row.email);
        }
        UserAction::Enable { email } => {
            let row = by_email(email).await?;
            newsroom.set_user_disabled(&operator(), row.id, false, &here).await?;
            println!("{} can sign in again.", row.email);
        }
        UserAction::SetRole { email, role } => {
            let row = by_email(email).await?;
            let u = newsroom.set_role(&operator(), row.id, parse_role(&role)?, &here).await?;
            println!("{} is now {}.", u.email, u.role);
        }
    }
    db.close().await;
    Ok(())
}

/// The role named `s`, or the roles there are.
fn parse_role(s: &str) -> anyhow::Result<newsdesk_core::Role> {
    newsdesk_core::Role::parse(s).ok_or_else(|| {
        anyhow::anyhow!("unknown role `{s}`: contributor, author, editor, administrator or owner")
    })
}

async fn token(config: &Config, action: TokenAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?);
    let actor = operator();
    let here = newsdesk_app::sessions::Origin::default();
    match action {
        TokenAction::Create { email, name, scopes, expires_days } => {
            let e = newsdesk_app::accounts::normalize_email(&email)?;
            let user = db
                .find_user_by_email(&e)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account with the address {e}"))?;
            if expires_days.is_some_and(|d| !(1..=3650).contains(&d)) {
                anyhow::bail!("--expires-days takes 1 to 3650 days");
            }
            let expires =
                expires_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
            let made = newsroom
                .create_admin_token(&actor, user.id, &name, &scopes, expires, &here)
                .await?;
            eprintln!(
                "Admin token {} for {} ({}). Keep it secret; it is not shown again:",
                made.key.id, user.name, user.role
            );
            println!("{}", made.secret);
        }
        TokenAction::ContentKey { name } => {
            let made = newsroom.create_content_key(&actor, &name, &here).await?;
            eprintln!("Content key {}. It reads published content only:", made.key.id);
            println!("{}", made.secret);
        }
        TokenAction::List => {
            for kind in ["admin", "content"] {
                for k in db.list_api_keys(kind, None).await? {
                    let state = k.state(chrono::Utc::now());
                    let user = k.user_id.map(|u| format!(" user {u}")).unwrap_or_default();
                    let scopes = if k.scopes.is_empty() { "all" } else { &k.scopes };
                    println!(
                        "{:>6}  {kind:<7} {:<14} {:<32} scopes {scopes}{user}  {}",
                        k.id, k.prefix, state, k.name
                    );
                }
            }
        }
        TokenAction::Revoke { id } => {
            newsroom.revoke_key(&actor, id, &here).await?;
            println!("Revoked key {id}.");
        }
    }
    Ok(())
}

async fn webhook(config: &Config, action: WebhookAction) -> anyhow::Result<()> {
    let db = open(config).await?;
    let newsroom = Newsroom::new(db.clone(), config.timezone()?);
    let actor = operator();
    let here = newsdesk_app::sessions::Origin::default();
    match action {
        WebhookAction::Add { name, url, mut events } => {
            if events.is_empty() {
                events = newsdesk_app::integrations::WEBHOOK_EVENTS.map(str::to_owned).to_vec();
            }
            let hook = newsroom.create_webhook(&actor, &name, &url, &events, &here).await?;
            eprintln!(
                "Webhook {} posts {} to {}. Its signing secret:",
                hook.id, hook.events, hook.url
            );
            println!("{}", hook.secret);
        }
        WebhookAction::List => {
            for h in db.list_webhooks().await? {
                let state = if h.disabled_at.is_some() { "off" } else { "on" };
                println!("{:>6}  {state:<3} {}  {}  ({})", h.id, h.url, h.events, h.name);
            }
        }
        WebhookAction::Remove { id } => {
            newsroom.delete_webhook(&actor, id, &here).await?;
            println!("Removed webhook {id}.");
        }
    }
    Ok(())
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
        Cli::try_parse_from(["newsdesk", "article", "publish", "12", "--version", "3"])
            .expect("article publish");
        Cli::try_parse_from(["newsdesk", "jobs", "list", "--state", "dead"]).expect("jobs list");
        Cli::try_parse_from(["newsdesk", "jobs", "retry", "7"]).expect("jobs retry");
        Cli::try_parse_from(["newsdesk", "jobs", "run", "--once"]).expect("jobs run");
        assert!(Cli::try_parse_from(["newsdesk", "article", "publish"]).is_err(), "needs an id");
        assert!(Cli::try_parse_from(["newsdesk", "serve", "--bogus"]).is_err());
    }
}
