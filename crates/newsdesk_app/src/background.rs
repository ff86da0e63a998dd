//! CPU-heavy work of background jobs (pictures' sizes) on threads the
//! operating system runs after the readers' pages.
//!
//! A server makes a new picture's renditions in its worker while it serves
//! readers on the same cores; at the same priority, encoding JPEG and WebP
//! takes its full share of CPU and every reader's page waits longer (under
//! a flood, tens of milliseconds). On a thread with the lowest priority
//! (nice [`NICE`], on Linux) the work still advances, at about 1.5% of
//! what one busy thread of normal priority gets, and at full speed whenever
//! the CPU is otherwise idle. At nice 10 (a tenth of the CPU) the picture
//! sizes a server makes as it starts under a flood put a cached page's p99
//! at 64–87 ms, against 49–68 ms at 19 (`bench/README.md`). Work that
//! holds a lock others wait for (the related-stories rebuild) must not run
//! here.

/// The nice value of background threads (0 is normal, 19 the lowest).
pub const NICE: i32 = 19;

/// Runs `work` on a new thread with a lower priority and waits for it. A
/// panic in `work` panics here too; `Err` only when no thread could start.
pub async fn run<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("newsdesk-{name}"))
        .spawn(move || {
            lower_priority();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(r);
        })
        .map_err(|e| format!("cannot start a thread for {name}: {e}"))?;
    match rx.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(format!("the {name} thread ended without an answer")),
    }
}

/// Lowers the calling thread's priority (Linux keeps one per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let me = rustix::thread::gettid();
        // Lower only: a process started at a lower priority stays there.
        let now = rustix::process::getpriority_process(Some(me)).unwrap_or(0);
        if now >= NICE {
            return;
        }
        if let Err(e) = rustix::process::setpriority_process(Some(me), NICE) {
            tracing::debug!(error = %e, "could not lower a background thread's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_its_thread_and_answers() {
        let name = run("test", || std::thread::current().name().map(str::to_owned)).await;
        assert_eq!(name.expect("ran").as_deref(), Some("newsdesk-test"));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn work_runs_at_the_lower_priority() {
        let nice = || rustix::process::getpriority_process(Some(rustix::thread::gettid()));
        let caller = nice().expect("own priority");
        let worker = run("test", nice).await.expect("ran").expect("its priority");
        // Lowered to NICE (or left lower, when the whole process already is).
        assert_eq!(worker, caller.max(NICE));
        assert_eq!(nice().expect("own priority"), caller, "the caller keeps its own");
    }

    #[tokio::test]
    async fn a_panic_comes_back_to_the_caller() {
        let r = tokio::spawn(run("test", || -> u8 { panic!("boom") })).await;
        assert!(r.is_err_and(|e| e.is_panic()));
    }
}
