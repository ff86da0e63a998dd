//! The connection loop: HTTP/1.1 over hyper with the limits a public server
//! needs.
//!
//! - A connection that has not sent a complete request head within
//!   `server.request_header_timeout_seconds` (5 s by default), or that stays
//!   idle that long between requests, is closed: slow-header ("slowloris")
//!   and silent clients cannot hold file descriptors.
//! - A connection whose client stops taking the answer (no byte accepted
//!   for `server.send_timeout_seconds`, 30 s by default) is closed too: a
//!   reader that stopped cannot hold a connection and an open file for
//!   ever (one that trickles a byte now and then still can: the
//!   connection cap bounds those).
//! - At most [`connection_cap`] connections are served at once; past that,
//!   new ones wait in the kernel's backlog until one closes, so the process
//!   never runs out of file descriptors for its database and files.
//! - On shutdown it stops accepting and lets the requests in flight finish.
//! - A request for a page the cache holds is answered before routing
//!   ([`CacheFirst`]): the same bytes and headers, at a fraction of the cost.
//! - A cached body served often goes out with `sendfile` from a memory
//!   file instead of being copied into the socket ([`crate::zero_copy`]).

use crate::app::AppState;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Semaphore;
use tower::Layer;

/// File descriptors kept for everything but connections: the database
/// pool, its listener, media files, logs.
pub const RESERVED_FILES: u64 = 128;

/// Connections the kernel completes and holds for the server before it
/// accepts them (Linux caps this at `net.core.somaxconn`, 4,096 by default
/// since 5.4; macOS and the BSDs at 128). The standard library's 128 is too few for a burst: when a
/// thousand clients connect at once while the server is busy, the kernel
/// drops the handshakes past the queue and those clients wait a second or
/// more for a retransmission before their first request is even read.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `addr` with a backlog of [`LISTEN_BACKLOG`].
pub fn listen(addr: std::net::SocketAddr) -> io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard library does: a restarted server can bind its port
    // while connections of the last one linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How often a runtime worker takes its next task from the shared queue
/// rather than its own (every second turn).
///
/// When more connections are ready than a worker's own queue holds (256),
/// tokio moves the rest to a shared queue. By default tokio tunes how
/// often a worker looks there (about 200 µs of tasks between looks, at
/// least every 2 turns), and under a thousand busy connections on one CPU
/// some waited 160 ms while others went round again and again. Looking
/// there on every turn (1) was fairer to those but starved the others:
/// with the shared queue never empty, the 128 tasks a full local queue
/// keeps were never run again, and those connections got no answer for as
/// long as the flood lasted (`bench/abuse.sh`: 128 connections without an
/// answer for up to 38 s, each counted by wrk as a timeout every 2 s).
/// Every second turn, tokio's own floor, serves both queues: no
/// connection waits for ever. A cached page's p99 under that flood is
/// 42–86 ms on one CPU (`bench/README.md`).
pub const GLOBAL_QUEUE_INTERVAL: u32 = 2;

/// The runtime to serve on: tokio's multi-threaded runtime, with
/// [`GLOBAL_QUEUE_INTERVAL`].
pub fn runtime() -> tokio::runtime::Builder {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.enable_all().global_queue_interval(GLOBAL_QUEUE_INTERVAL);
    b
}

/// Longest a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Raises the soft limit on open files to the hard limit (a default of
/// 1,024 would let a thousand idle clients lock everyone else out); returns
/// the soft limit now in force.
pub fn raise_file_limit() -> u64 {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => n,
            Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft),
        }
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

/// Connections served at once: `configured`, or (when 0) half of what the
/// current soft limit on open files leaves after [`RESERVED_FILES`] (a
/// connection may hold a media file open too), at least 64.
pub fn connection_cap(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    #[cfg(unix)]
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
    #[cfg(not(unix))]
    let soft = 1024u64;
    usize::try_from(soft.saturating_sub(RESERVED_FILES) / 2)
        .unwrap_or(usize::MAX)
        .clamp(64, 1 << 20)
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn run(
    state: AppState,
    app: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = connection_cap(state.config.server.max_connections);
    let header_timeout = Duration::from_secs(state.config.server.request_header_timeout_seconds);
    let send_timeout = Duration::from_secs(state.config.server.send_timeout_seconds);
    crate::zero_copy::enable(state.config.server.sendfile);
    tracing::info!(
        connections = cap,
        header_timeout_s = header_timeout.as_secs(),
        "accepting at most this many connections at once; slower request heads are cut off"
    );
    let slots = Arc::new(Semaphore::new(cap));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let at_cap = Arc::new(AtomicU64::new(0));
    let mut last_cap_log: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                at_cap.fetch_add(1, Ordering::Relaxed);
                if last_cap_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                    last_cap_log = Some(Instant::now());
                    tracing::warn!(
                        connections = cap,
                        "connection limit reached; new connections wait until one closes"
                    );
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors or a connection reset before
                    // it was accepted: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(SendStall::new(stream, send_timeout)),
                // Each request learns the client's address (sign-in
                // throttling, the audit log).
                TowerToHyperService::new(CacheFirst {
                    app: state.clone(),
                    inner: axum::Extension(axum::extract::ConnectInfo(peer)).layer(app.clone()),
                }),
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still running after the grace period were cut off");
        }
    }
    Ok(())
}

/// Answers `GET` and `HEAD` for a page the cache holds at once, with the
/// headers and the log line the middleware would give it; everything else
/// goes to the router. Only requests the URI guard would pass unchanged
/// take this path (no query, no trailing slash, a target within
/// [`crate::MAX_URI_BYTES`], exactly one `Host` on HTTP/1.1); cache keys
/// of pages are their paths, so a hit is the page routing would serve.
#[derive(Clone)]
struct CacheFirst<S> {
    app: AppState,
    inner: S,
}

impl<S, B> tower::Service<axum::http::Request<B>> for CacheFirst<S>
where
    S: tower::Service<
            axum::http::Request<B>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        >,
{
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Either<
        std::future::Ready<Result<axum::response::Response, std::convert::Infallible>>,
        S::Future,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        match from_cache(&self.app, &req) {
            Some(res) => futures_util::future::Either::Left(std::future::ready(Ok(res))),
            None => futures_util::future::Either::Right(self.inner.call(req)),
        }
    }
}

/// Requests answered by [`CacheFirst`] since the process started.
static ANSWERED_FROM_MEMORY: AtomicU64 = AtomicU64::new(0);

/// How many requests were answered from the cache before routing.
pub fn answered_from_memory() -> u64 {
    ANSWERED_FROM_MEMORY.load(Ordering::Relaxed)
}

/// The cached answer to `req`, when it has one and needs nothing else.
fn from_cache<B>(
    app: &crate::App,
    req: &axum::http::Request<B>,
) -> Option<axum::response::Response> {
    use axum::http::{Method, Version, header};
    let start = crate::middleware::request_log::enabled().then(Instant::now);
    let method = req.method();
    let head = method == Method::HEAD;
    if method != Method::GET && !head {
        return None;
    }
    let uri = req.uri();
    let path = uri.path();
    if uri.query().is_some()
        || !path.starts_with('/')
        || path.len() > crate::MAX_URI_BYTES
        || (path.len() > 1 && path.ends_with('/'))
    {
        return None;
    }
    if req.version() == Version::HTTP_11 && req.headers().get_all(header::HOST).iter().count() != 1
    {
        return None;
    }
    let page = app.cache.get(path)?;
    let mut res = page.respond(req.headers(), head);
    crate::middleware::security_headers::add(app, res.headers_mut());
    if let Some(start) = start {
        crate::middleware::request_log::line(method, path, res.status(), start);
    }
    ANSWERED_FROM_MEMORY.fetch_add(1, Ordering::Relaxed);
    Some(res)
}

/// A connection whose writes must make progress: when the client has not
/// taken a single byte for `limit`, writing fails and the connection ends.
struct SendStall {
    inner: tokio::net::TcpStream,
    limit: Duration,
    /// Started when a write first found the socket full; cleared by any
    /// write that goes through.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SendStall {
    fn new(inner: tokio::net::TcpStream, limit: Duration) -> SendStall {
        SendStall { inner, limit, stalled: None }
    }

    /// After a write came back pending: pending still, or an error once
    /// the client has taken nothing for the whole limit.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped taking the answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.pending(cx),
        }
    }
}

impl AsyncRead for SendStall {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendStall {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progress(r, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A cached body with a copy in a memory file goes with sendfile.
        if let Some(r) = crate::zero_copy::poll_send(&this.inner, cx, bufs) {
            return this.progress(r, cx);
        }
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(r, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(r, cx)
    }
}
