//! Log output that never makes a request wait.
//!
//! A request's log line is formatted on its own thread and appended to a
//! shared buffer: a copy into memory, no system call, no thread to wake. A
//! background thread writes the buffer to standard output every
//! [`FLUSH_EVERY`], or sooner when it passes [`FLUSH_AT`]. If the output
//! cannot keep up (a full disk, a stuck pipe) and the buffer reaches
//! [`MAX_PENDING`], new lines are dropped and counted rather than slowing
//! requests; the count is reported in the log once the output moves again.
//!
//! Compared with a channel per line (`tracing-appender`), this saves an
//! allocation, a wake-up and a write per request, which is most of what a
//! log line costs when a cached page costs 20 µs.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often pending lines are written out.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Pending bytes that make the writer wake before its interval.
pub const FLUSH_AT: usize = 256 * 1024;

/// Pending bytes past which new lines are dropped.
pub const MAX_PENDING: usize = 16 * 1024 * 1024;

struct Shared {
    pending: Mutex<Vec<u8>>,
    wake: Condvar,
    dropped: AtomicU64,
    closing: AtomicBool,
}

/// Hands each log event a writer that appends to the shared buffer.
#[derive(Clone)]
pub struct BufferedStdout {
    shared: Arc<Shared>,
}

/// Writes what is pending and stops the writer thread when dropped (keep it
/// alive until the end of `main`).
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BufferedStdout {
    /// A buffer and the thread that writes it to standard output.
    pub fn start() -> (BufferedStdout, FlushGuard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Vec::with_capacity(FLUSH_AT)),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread =
            std::thread::Builder::new().name("newsdesk-log".into()).spawn(move || writer(&s)).ok();
        (BufferedStdout { shared: shared.clone() }, FlushGuard { shared, thread })
    }
}

fn writer(s: &Shared) {
    let mut out = std::io::stdout();
    let mut spare = Vec::with_capacity(FLUSH_AT);
    loop {
        let closing = {
            let guard = s.pending.lock().unwrap_or_else(|e| e.into_inner());
            let (mut guard, _) = s
                .wake
                .wait_timeout_while(guard, FLUSH_EVERY, |p| {
                    p.len() < FLUSH_AT && !s.closing.load(Ordering::Acquire)
                })
                .unwrap_or_else(|e| e.into_inner());
            std::mem::swap(&mut *guard, &mut spare);
            s.closing.load(Ordering::Acquire)
        };
        if !spare.is_empty() {
            // Written outside the lock: requests keep appending meanwhile.
            let _ = out.write_all(&spare);
            let _ = out.flush();
            spare.clear();
        }
        let dropped = s.dropped.swap(0, Ordering::AcqRel);
        if dropped > 0 {
            let _ = writeln!(out, "log output fell behind: {dropped} lines were dropped");
        }
        if closing {
            return;
        }
    }
}

impl Write for BufferedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.shared.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.len() + buf.len() > MAX_PENDING {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            pending.extend_from_slice(buf);
            if pending.len() >= FLUSH_AT {
                self.shared.wake.notify_one();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedStdout {
    type Writer = BufferedStdout;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::Release);
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unwritten() -> Arc<Shared> {
        Arc::new(Shared {
            pending: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        })
    }

    #[test]
    fn a_request_line_reads_like_any_other_and_escapes_the_path() {
        use tracing_subscriber::layer::SubscriberExt;
        let shared = unwritten();
        let subscriber = tracing_subscriber::registry()
            .with(RequestLines::new(BufferedStdout { shared: shared.clone() }));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: REQUEST_TARGET,
                method = "GET",
                path = "/a\"b\n",
                status = 404u16,
                micros = 17u64,
                "request"
            );
        });
        let pending = shared.pending.lock().map(|p| p.clone()).unwrap_or_default();
        let line = String::from_utf8(pending).unwrap_or_default();
        let (time, rest) = line.split_once('Z').unwrap_or_default();
        assert_eq!(time.len(), 26, "{line}");
        assert!(
            chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
            "{line}"
        );
        assert_eq!(
            rest,
            "  INFO request method=\"GET\" path=\"/a\\\"b\\n\" status=404 micros=17\n"
        );
    }

    #[test]
    fn lines_past_the_limit_are_dropped_and_counted_not_blocked() {
        let shared = unwritten();
        let mut w = BufferedStdout { shared: shared.clone() };
        let line = vec![b'x'; 1024 * 1024];
        for _ in 0..20 {
            assert_eq!(w.write(&line).ok(), Some(line.len()), "never an error, never a wait");
        }
        let pending = shared.pending.lock().map(|p| p.len()).unwrap_or_default();
        assert_eq!(pending, MAX_PENDING);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 4);
    }
}

/// Writes the one-line-per-request log (`target: "newsdesk::request"`)
/// without the general formatter: the fields are copied, not formatted with
/// `Debug`, and the timestamp's date and time of day are formatted once a
/// second. The line reads like every other: time, level, message, fields.
pub struct RequestLines {
    out: BufferedStdout,
}

impl RequestLines {
    /// Request lines into `out`.
    pub fn new(out: BufferedStdout) -> RequestLines {
        RequestLines { out }
    }
}

/// The request event's target.
pub const REQUEST_TARGET: &str = "newsdesk::request";

struct LineVisitor<'a>(&'a mut String);

impl tracing::field::Visit for LineVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push(' ');
        self.0.push_str(field.name());
        self.0.push_str("=\"");
        for c in value.chars() {
            match c {
                '"' | '\\' => {
                    self.0.push('\\');
                    self.0.push(c);
                }
                c if c.is_control() => self.0.push_str(&c.escape_debug().to_string()),
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value}", field.name());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value}", field.name());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

thread_local! {
    /// The line being built, and the second whose `YYYY-MM-DDTHH:MM:SS.`
    /// prefix it last formatted.
    static LINE: std::cell::RefCell<(String, i64, String)> =
        std::cell::RefCell::new((String::with_capacity(256), i64::MIN, String::new()));
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RequestLines {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        LINE.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (line, second, prefix) = &mut *guard;
            line.clear();
            let now = chrono::Utc::now();
            let s = now.timestamp();
            if s != *second {
                *second = s;
                *prefix = now.format("%Y-%m-%dT%H:%M:%S.").to_string();
            }
            line.push_str(prefix);
            let micros = now.timestamp_subsec_micros();
            use std::fmt::Write as _;
            let _ = write!(line, "{micros:06}Z {:>5}", event.metadata().level().as_str());
            event.record(&mut LineVisitor(line));
            line.push('\n');
            let mut out = self.out.clone();
            let _ = out.write(line.as_bytes());
        });
    }
}
