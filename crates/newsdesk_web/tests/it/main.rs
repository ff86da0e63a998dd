//! The public site over real HTTP on a loopback port, on SQLite and
//! PostgreSQL.
#![allow(missing_docs, reason = "test harness, not a public API")]

mod address;
mod admin;
mod api;
mod application;
mod backup;
mod browser;
mod company;
mod desk;
mod distribution;
mod fixtures;
mod hostile;
mod http;
mod import;
mod library;
mod malformed;
mod openapi;
mod pages;
mod setup;
mod static_export;

use newsdesk_config::Config;
use newsdesk_test_support::TestDb;
use std::sync::Arc;

/// A running server over a fixture newsroom.
pub struct TestApp {
    pub t: TestDb,
    pub app: Arc<newsdesk_web::App>,
    pub base: String,
    pub client: reqwest::Client,
    pub ids: fixtures::Ids,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Seeds the fixture newsroom into `t` and serves it.
    pub async fn start(t: TestDb) -> anyhow::Result<TestApp> {
        TestApp::start_with(t, |_| {}).await
    }

    /// Like [`TestApp::start`], adjusting the configuration first.
    pub async fn start_with(
        t: TestDb,
        adjust: impl FnOnce(&mut Config),
    ) -> anyhow::Result<TestApp> {
        let mut config = Config::default_for_test(t.dir.path());
        adjust(&mut config);
        let newsroom = newsdesk_app::Newsroom::new(t.db.clone(), config.timezone()?);
        let ids = fixtures::seed(&newsroom, &config.media_dir()).await?;
        // Neighbours' rails, as a running server's worker would compute them.
        TestApp::run_jobs_on(&newsroom).await?;
        let app = Arc::new(newsdesk_web::App::new(config, t.db.clone()).await?);
        let listener = newsdesk_web::server::listen("127.0.0.1:0".parse()?)?;
        let base = format!("http://{}", listener.local_addr()?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(newsdesk_web::serve(app.clone(), listener, async move {
            let _ = rx.await;
        }));
        newsdesk_app::integrations::install_tls();
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(TestApp { t, app, base, client, ids, shutdown: Some(tx), server: Some(server) })
    }

    /// Runs every due job, as a server's worker would, until none is left.
    pub async fn run_jobs_on(newsroom: &newsdesk_app::Newsroom) -> anyhow::Result<()> {
        TestApp::drain(Arc::new(newsdesk_app::Newsroom::new(newsroom.db().clone(), newsroom.tz())))
            .await
    }

    /// Runs every due job with `newsroom`; fails if one did not finish.
    async fn drain(newsroom: Arc<newsdesk_app::Newsroom>) -> anyhow::Result<()> {
        let worker = newsdesk_app::worker::Worker::new(
            newsroom,
            newsdesk_app::jobs::builtin(),
            newsdesk_app::worker::WorkerConfig::default(),
        );
        for outcome in worker.drain().await? {
            anyhow::ensure!(
                matches!(outcome, newsdesk_app::worker::Outcome::Done { .. }),
                "a job failed: {outcome:?}"
            );
        }
        Ok(())
    }

    /// Runs the due jobs, then applies every committed event to this
    /// server's cache (what the worker and the follower do in `serve`).
    pub async fn settle(&self) -> anyhow::Result<()> {
        // The server's own newsroom: it has the media library.
        TestApp::drain(self.app.newsroom.clone()).await?;
        self.app.catch_up().await?;
        Ok(())
    }

    /// GET `path` with optional extra headers.
    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self.client.get(format!("{}{path}", self.base)).send().await?)
    }

    /// GET `path` and return status and body text.
    pub async fn text(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let r = self.get(path).await?;
        Ok((r.status().as_u16(), r.text().await?))
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await??;
        }
        Ok(())
    }
}

/// Sends raw bytes to the server (paths a normal client would clean up) and
/// returns the status code of the answer.
pub async fn raw_status(base: &str, request_target: &str) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET {request_target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).to_string();
    let code = head.split(' ').nth(1).unwrap_or_default().parse()?;
    Ok(code)
}
