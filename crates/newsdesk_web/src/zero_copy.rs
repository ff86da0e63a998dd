//! Cached bodies sent to the socket without copying them through user
//! memory, the way a static file server sends files.
//!
//! Writing a body with `writev` makes the kernel copy every byte into the
//! socket's buffers; on the article page, a profile found that copy to be a
//! quarter of the server's CPU. A body the cache serves often gets a second home in an
//! anonymous memory file ([`Copy`]), and the connection's writes send that
//! region with `sendfile`, which hands the kernel's pages to the socket.
//!
//! How a write finds the region: hyper writes the body from the cache's
//! own [`Bytes`], so the address of the slice it writes names the body. A
//! registry maps each copied body's address range to its region, and an
//! entry lives exactly as long as its [`Copy`], which holds a clone of the
//! body: while the entry exists, the body's memory cannot be freed and
//! reused for other bytes, and the region holds the same bytes, written
//! once and never again.
//!
//! Bytes handed to a socket by `sendfile` stay in its queue as references
//! to the memory file's pages until the client has them, so those pages
//! must never change: regions are only appended to memory files of
//! [`FILE_BYTES`], never rewritten, and a file goes (closed, its pages
//! given back whole) only when its last region has gone. Nothing is ever
//! punched out of a file in use (with huge pages, the kernel zeroes part of
//! a page in place rather than dropping it). At most [`BUDGET_BYTES`] of
//! memory files exist at once; past that, bodies go out with a plain write
//! until pages that hold files go. The whole scheme is Linux-only; elsewhere
//! no copy is ever made and every write is a plain one. If `sendfile` turns
//! out not to work here (a sandbox that forbids it), the first failure
//! switches the scheme off for the process and the write goes out plainly.

use bytes::Bytes;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bodies shorter than this go out with a plain write: below it, the
/// second system call (headers, then `sendfile`) costs more than the copy.
pub const MIN_BYTES: usize = 16 * 1024;

/// Most bytes of memory files at once.
pub const BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// The size of a memory file that copies are appended to (a longer body
/// gets a file of its own).
pub const FILE_BYTES: u64 = 4 * 1024 * 1024;

/// How many times a body is sent before it gets a copy: a page read once
/// is not worth the memory.
pub const HOT_AFTER: u32 = 8;

static SENT: AtomicU64 = AtomicU64::new(0);

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the making of copies on or off (`server.sendfile`); copies made
/// before are still used until their pages go.
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Bytes sent with `sendfile` since the process started.
pub fn sent_bytes() -> u64 {
    SENT.load(Ordering::Relaxed)
}

#[cfg(target_os = "linux")]
pub use linux::{Copy, held_bytes, poll_send};

#[cfg(not(target_os = "linux"))]
pub use other::{Copy, held_bytes, poll_send};

#[cfg(target_os = "linux")]
mod linux {
    use super::{BUDGET_BYTES, Bytes, ENABLED, FILE_BYTES, MIN_BYTES, SENT};
    use rustix::fs::MemfdFlags;
    use std::collections::BTreeMap;
    use std::collections::btree_map;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError, RwLock};
    use std::task::{Context, Poll};
    use tokio::io::Interest;
    use tokio::net::TcpStream;

    /// Regions start on page boundaries.
    const PAGE: u64 = 4096;

    /// An anonymous memory file that regions are appended to; closed (and
    /// its pages given back) when the last region in it goes.
    #[derive(Debug)]
    struct MemFile {
        fd: OwnedFd,
        size: u64,
    }

    impl Drop for MemFile {
        fn drop(&mut self) {
            HELD.fetch_sub(self.size, Ordering::Relaxed);
        }
    }

    /// The file being filled, and where the next region goes in it.
    struct Tail {
        file: Option<Arc<MemFile>>,
        next: u64,
    }

    static TAIL: Mutex<Tail> = Mutex::new(Tail { file: None, next: 0 });

    /// Bytes of memory files that exist now.
    static HELD: AtomicU64 = AtomicU64::new(0);

    /// Copied bodies by the address of their first byte.
    static REGISTRY: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());

    /// How many bodies are registered: writes skip the lookup when none is.
    static REGISTERED: AtomicUsize = AtomicUsize::new(0);

    /// False once `sendfile` has failed in a way that says it cannot work.
    static WORKS: AtomicBool = AtomicBool::new(true);

    /// A registered body: its length and where its copy is.
    #[derive(Debug)]
    struct Entry {
        len: usize,
        file: Arc<MemFile>,
        offset: u64,
    }

    /// Bytes of memory files that exist now.
    pub fn held_bytes() -> u64 {
        HELD.load(Ordering::Relaxed)
    }

    /// A body's bytes in a memory file, registered under the body's
    /// address for as long as this value lives.
    #[derive(Debug)]
    pub struct Copy {
        /// The body itself, so that its memory outlives the registration.
        body: Bytes,
        file: Arc<MemFile>,
        offset: u64,
    }

    impl Copy {
        /// Copies `body`, when it is long enough, the budget allows and no
        /// other copy of the same bytes is registered.
        pub fn make(body: &Bytes) -> Option<Copy> {
            if body.len() < MIN_BYTES
                || !ENABLED.load(Ordering::Relaxed)
                || !WORKS.load(Ordering::Relaxed)
            {
                return None;
            }
            let span = (body.len() as u64).div_ceil(PAGE) * PAGE;
            let (file, offset) = match allocate(span) {
                Ok(Some(at)) => at,
                Ok(None) => return None,
                Err(e) => {
                    tracing::debug!(error = %e, "no memory file for sendfile");
                    return None;
                }
            };
            let mut done = 0;
            while done < body.len() {
                match rustix::io::pwrite(&file.fd, &body[done..], offset + done as u64) {
                    Ok(n) if n > 0 => done += n,
                    Ok(_) => return None,
                    Err(e) => {
                        tracing::debug!(error = %e, "a body could not be kept for sendfile");
                        return None;
                    }
                }
            }
            let copy = Copy { body: body.clone(), file, offset };
            let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
            match registry.entry(copy.start()) {
                btree_map::Entry::Vacant(v) => {
                    v.insert(Entry { len: body.len(), file: copy.file.clone(), offset });
                    REGISTERED.fetch_add(1, Ordering::Relaxed);
                    drop(registry);
                    Some(copy)
                }
                btree_map::Entry::Occupied(_) => None,
            }
        }

        fn start(&self) -> usize {
            self.body.as_ptr() as usize
        }
    }

    impl Drop for Copy {
        fn drop(&mut self) {
            let start = self.start();
            let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
            // Only this copy's own entry (a refused second copy has none).
            if registry
                .get(&start)
                .is_some_and(|e| Arc::ptr_eq(&e.file, &self.file) && e.offset == self.offset)
            {
                registry.remove(&start);
                REGISTERED.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn memfd() -> io::Result<OwnedFd> {
        let name = "newsdesk-bodies";
        match rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::NOEXEC_SEAL) {
            // Kernels before 6.3 do not know the flag.
            Err(rustix::io::Errno::INVAL) => {
                Ok(rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC)?)
            }
            r => Ok(r?),
        }
    }

    /// A fresh region of `span` bytes (the memory file and the offset), or
    /// `None` when a new file would pass the budget.
    fn allocate(span: u64) -> io::Result<Option<(Arc<MemFile>, u64)>> {
        let mut tail = TAIL.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = &tail.file
            && tail.next + span <= file.size
        {
            let at = (file.clone(), tail.next);
            tail.next += span;
            return Ok(Some(at));
        }
        let size = span.max(FILE_BYTES);
        if HELD.load(Ordering::Relaxed) + size > BUDGET_BYTES {
            return Ok(None);
        }
        let file = Arc::new(MemFile { fd: memfd()?, size });
        HELD.fetch_add(size, Ordering::Relaxed);
        if size == FILE_BYTES {
            tail.file = Some(file.clone());
            tail.next = span;
        }
        // A longer body has its file to itself; the tail stays as it was.
        Ok(Some((file, 0)))
    }

    /// The memory file holding `bytes` and where in it they start, when
    /// they lie within a copied body. While an entry exists its body is
    /// alive (the copy holds it), so no other bytes can sit at that
    /// address: a hit is these very bytes.
    fn locate(bytes: &[u8]) -> Option<(Arc<MemFile>, u64)> {
        if bytes.is_empty() {
            return None;
        }
        let ptr = bytes.as_ptr() as usize;
        let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
        let (&start, entry) = registry.range(..=ptr).next_back()?;
        let skip = ptr - start;
        (skip + bytes.len() <= entry.len).then(|| (entry.file.clone(), entry.offset + skip as u64))
    }

    /// Whether `sendfile` failing with `e` means it cannot work here at all
    /// (rather than that this connection failed).
    fn unsupported(e: &io::Error) -> bool {
        use rustix::io::Errno;
        [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP, Errno::PERM, Errno::ACCESS]
            .iter()
            .any(|n| e.raw_os_error() == Some(n.raw_os_error()))
    }

    /// Writes `bufs` to `stream` like `writev`, except that a copied body
    /// goes with `sendfile` (what comes before it is sent first, marked as
    /// having more to follow). `None` when no buffer is a copied body: the
    /// caller writes them as they are.
    pub fn poll_send(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Option<Poll<io::Result<usize>>> {
        if REGISTERED.load(Ordering::Relaxed) == 0 || !WORKS.load(Ordering::Relaxed) {
            return None;
        }
        // Any length: what is left of a body after a partial send is
        // shorter than a body, and still goes without a copy.
        let (at, file, offset) = bufs
            .iter()
            .enumerate()
            .find_map(|(i, b)| locate(b).map(|(file, offset)| (i, file, offset)))?;
        loop {
            match stream.poll_write_ready(cx) {
                Poll::Pending => return Some(Poll::Pending),
                Poll::Ready(Err(e)) => return Some(Poll::Ready(Err(e))),
                Poll::Ready(Ok(())) => {}
            }
            let sent = stream.try_io(Interest::WRITABLE, || {
                if at > 0 {
                    return Ok(rustix::net::sendmsg(
                        stream,
                        &bufs[..at],
                        &mut rustix::net::SendAncillaryBuffer::default(),
                        rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
                    )?);
                }
                let n =
                    rustix::fs::sendfile(stream, &file.fd, Some(&mut { offset }), bufs[0].len())?;
                SENT.fetch_add(n as u64, Ordering::Relaxed);
                Ok(n)
            });
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if at == 0 && unsupported(&e) => {
                    if WORKS.swap(false, Ordering::Relaxed) {
                        tracing::warn!(error = %e, "sendfile does not work here; bodies are written as they are");
                    }
                    return None;
                }
                r => return Some(Poll::Ready(r)),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        //! These share the process-wide registry and budget: nextest runs
        //! each test in a process of its own, as the README's command does.
        use super::*;

        fn body(len: usize, seed: u8) -> Bytes {
            Bytes::from(
                (0..len)
                    .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                    .collect::<Vec<u8>>(),
            )
        }

        fn read_back(file: &MemFile, offset: u64, len: usize) -> Vec<u8> {
            let mut out = vec![0; len];
            let mut done = 0;
            while done < len {
                let n = rustix::io::pread(&file.fd, &mut out[done..], offset + done as u64)
                    .expect("pread");
                assert!(n > 0, "the memory file ended early");
                done += n;
            }
            out
        }

        #[test]
        fn a_copy_holds_the_body_and_is_found_by_any_slice_of_it() {
            let b = body(40_000, 3);
            let copy = Copy::make(&b).expect("a long body is copied");
            let (file, offset) = locate(&b).expect("the whole body is found");
            assert_eq!(read_back(&file, offset, b.len()), b[..]);
            let tail = &b[1000..];
            let (file, offset) = locate(tail).expect("what is left after a partial send is found");
            assert_eq!(read_back(&file, offset, tail.len()), tail);
            drop(file);
            drop(copy);
            assert!(locate(&b).is_none(), "a dropped copy is no longer found");
            assert_eq!(REGISTERED.load(Ordering::Relaxed), 0);
        }

        #[test]
        fn bytes_past_the_copied_body_are_not_taken_for_it() {
            let whole = body(50_000, 4);
            let front = whole.slice(0..40_000);
            let _copy = Copy::make(&front).expect("copied");
            assert!(locate(&front).is_some());
            assert!(locate(&whole).is_none(), "a slice running past the copy is sent as it is");
        }

        #[test]
        fn a_second_copy_of_the_same_bytes_is_refused() {
            let b = body(20_000, 8);
            let first = Copy::make(&b).expect("copied");
            assert!(Copy::make(&b.clone()).is_none(), "the registry holds one copy per body");
            drop(first);
            assert!(Copy::make(&b).is_some());
        }

        #[test]
        fn short_bodies_are_not_copied() {
            assert!(Copy::make(&body(MIN_BYTES - 1, 1)).is_none());
        }

        #[test]
        fn regions_are_appended_never_reused() {
            let a = Copy::make(&body(20_000, 5)).expect("copied");
            let b = Copy::make(&body(20_000, 6)).expect("copied");
            assert!(Arc::ptr_eq(&a.file, &b.file), "both go in the file being filled");
            assert!(b.offset >= a.offset + 20_000);
            let last = b.offset;
            drop(a);
            let c = Copy::make(&body(20_000, 7)).expect("copied");
            assert!(c.offset > last, "a new copy never lands where an old one was");
            let (file, offset) = locate(&c.body).expect("found");
            assert_eq!(read_back(&file, offset, 20_000), c.body[..]);
        }

        #[test]
        fn a_file_goes_when_its_last_copy_and_send_are_done() {
            // Longer than a shared file: a file of its own.
            let b = body(FILE_BYTES as usize + 10_000, 7);
            let before = held_bytes();
            let copy = Copy::make(&b).expect("copied");
            assert!(held_bytes() > before);
            let weak = Arc::downgrade(&copy.file);
            let (file, offset) = locate(&b).expect("found");
            // The page goes (an edit) between the lookup and the send.
            drop(copy);
            assert!(locate(&b).is_none());
            assert_eq!(read_back(&file, offset, b.len()), b[..], "the send still has its bytes");
            drop(file);
            assert!(weak.upgrade().is_none(), "closed once nothing holds it");
            assert_eq!(held_bytes(), before, "its memory is given back");
        }

        #[tokio::test]
        async fn bytes_queued_in_a_socket_survive_the_close_of_their_file() {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let mut reader =
                TcpStream::connect(listener.local_addr().expect("addr")).await.expect("connect");
            let (writer, _) = listener.accept().await.expect("accept");
            // Longer than a shared file, so that it has one of its own.
            let b = body(FILE_BYTES as usize + 3 * 1024 * 1024, 11);
            let before = held_bytes();
            let copy = Copy::make(&b).expect("copied");
            let weak = Arc::downgrade(&copy.file);
            // Send from the copy until the socket is full: nobody reads yet.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut sent = 0;
            while sent < b.len() {
                match poll_send(&writer, &mut cx, &[io::IoSlice::new(&b[sent..])]) {
                    Some(Poll::Ready(Ok(n))) => sent += n,
                    Some(Poll::Pending) => break,
                    other => panic!("not sent from the copy: {other:?}"),
                }
            }
            assert!(sent > 0 && sent < b.len(), "the socket took part of it: {sent}");
            assert_eq!(super::super::sent_bytes(), sent as u64);
            // The page goes: its file is closed with bytes still queued.
            drop(copy);
            assert!(weak.upgrade().is_none(), "the file is closed");
            assert_eq!(held_bytes(), before);
            let rest = b.slice(sent..);
            let mut writer = writer;
            let write = tokio::spawn(async move { writer.write_all(&rest).await });
            let mut got = Vec::with_capacity(b.len());
            while got.len() < b.len() {
                assert!(reader.read_buf(&mut got).await.expect("read") > 0, "ended early");
            }
            write.await.expect("join").expect("write");
            assert!(got[..] == b[..], "every byte arrived as it was");
        }

        #[test]
        fn copies_stop_at_the_budget_and_start_again_when_memory_is_given_back() {
            let mut held = Vec::new();
            let mut refused = false;
            for i in 0..(BUDGET_BYTES / (1 << 20) + 8) {
                // A different body each time, so only the budget can refuse.
                match Copy::make(&body(1 << 20, i as u8)) {
                    Some(c) => held.push(c),
                    None => {
                        refused = true;
                        break;
                    }
                }
            }
            assert!(refused, "the budget ends the copies");
            assert!(held.len() >= 60, "{} copies of 1 MiB fit in 64 MiB", held.len());
            assert!(held_bytes() <= BUDGET_BYTES);
            held.clear();
            assert!(held_bytes() <= FILE_BYTES, "only the file being filled is left");
            assert!(Copy::make(&body(1 << 20, 99)).is_some(), "memory given back is used again");
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod other {
    use super::Bytes;
    use std::io;
    use std::task::{Context, Poll};
    use tokio::net::TcpStream;

    /// Never made off Linux.
    #[derive(Debug)]
    pub struct Copy;

    impl Copy {
        /// Always `None` off Linux.
        pub fn make(_body: &Bytes) -> Option<Copy> {
            None
        }
    }

    /// Always 0 off Linux.
    pub fn held_bytes() -> u64 {
        0
    }

    /// Always `None`: every write is a plain one.
    pub fn poll_send(
        _stream: &TcpStream,
        _cx: &mut Context<'_>,
        _bufs: &[io::IoSlice<'_>],
    ) -> Option<Poll<io::Result<usize>>> {
        None
    }
}
