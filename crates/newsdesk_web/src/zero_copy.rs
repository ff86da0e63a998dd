//! Cached bodies sent to the socket without copying them through user
//! memory, the way a static file server sends files.
//!
//! Writing a body with `writev` makes the kernel copy every byte into the
//! socket's buffers; on the article page that copy is a quarter of the
//! server's CPU. A body the cache serves often gets a second home in an
//! anonymous memory file ([`Copy`]), and the connection's writes send that
//! region with `sendfile`, which hands the kernel's pages to the socket.
//!
//! How a write finds the region: hyper writes the body from the cache's
//! own [`Bytes`], so the address of the slice it writes names the page.
//! A registry maps each copied body's address range to its region, and an
//! entry lives exactly as long as its [`Copy`], which the cached page owns
//! alongside the body itself: while the entry exists, the body's memory
//! cannot be freed and reused for other bytes, and the region holds the
//! same bytes, written once and never again.
//!
//! Regions are never reused: a memory file is only appended to, and a
//! dropped region's pages are released by punching a hole, so bytes still
//! queued in a socket (which hold the kernel's pages) stay what they were.
//! At most [`BUDGET_BYTES`] of copies exist at once; past that, bodies go
//! out with a plain write. The whole scheme is Linux-only; elsewhere no
//! copy is ever made and every write is a plain one.

use bytes::Bytes;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bodies shorter than this go out with a plain write: below it, the
/// second system call (headers, then `sendfile`) costs more than the copy.
pub const MIN_BYTES: usize = 16 * 1024;

/// Most bytes held in copies at once (rounded up to whole pages).
pub const BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// How many times a page is served before it gets a copy: a page read once
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
    use super::{BUDGET_BYTES, Bytes, ENABLED, MIN_BYTES, SENT};
    use rustix::fs::{FallocateFlags, MemfdFlags};
    use std::collections::BTreeMap;
    use std::collections::btree_map;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError, RwLock};
    use std::task::{Context, Poll};
    use tokio::io::Interest;
    use tokio::net::TcpStream;

    /// Regions start on page boundaries, so that punching one out never
    /// touches a neighbour's bytes.
    const PAGE: u64 = 4096;

    /// A memory file's offsets are used once; past this, a new file starts
    /// (the old one closes when its last region goes).
    const FILE_SPAN: u64 = 1 << 40;

    /// An anonymous memory file that regions are appended to.
    #[derive(Debug)]
    struct Arena {
        fd: OwnedFd,
    }

    /// Where the next region goes.
    struct Tail {
        arena: Option<Arc<Arena>>,
        next: u64,
    }

    static TAIL: Mutex<Tail> = Mutex::new(Tail { arena: None, next: 0 });

    /// Bytes held in copies, in whole pages.
    static HELD: AtomicU64 = AtomicU64::new(0);

    /// Copied bodies by the address of their first byte.
    static REGISTRY: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());

    /// A registered body: its length and where its copy is.
    #[derive(Debug)]
    struct Entry {
        len: usize,
        region: Arc<Region>,
    }

    /// Pages of a memory file holding one body. Given back (a hole
    /// punched, the budget freed) when the last holder lets go: the copy,
    /// or a send that found it just before the copy was dropped.
    #[derive(Debug)]
    struct Region {
        arena: Arc<Arena>,
        offset: u64,
        span: u64,
    }

    impl Region {
        fn fill(&self, body: &[u8]) -> io::Result<()> {
            let mut done = 0;
            while done < body.len() {
                let n =
                    rustix::io::pwrite(&self.arena.fd, &body[done..], self.offset + done as u64)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the memory file took nothing",
                    ));
                }
                done += n;
            }
            Ok(())
        }
    }

    impl Drop for Region {
        fn drop(&mut self) {
            let _ = rustix::fs::fallocate(
                &self.arena.fd,
                FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
                self.offset,
                self.span,
            );
            HELD.fetch_sub(self.span, Ordering::Relaxed);
        }
    }

    /// Bytes held in copies now.
    pub fn held_bytes() -> u64 {
        HELD.load(Ordering::Relaxed)
    }

    /// A body's bytes in a memory file, registered under the body's
    /// address for as long as this value lives.
    #[derive(Debug)]
    pub struct Copy {
        start: usize,
        region: Arc<Region>,
    }

    impl Copy {
        /// Copies `body`, when it is long enough, the budget allows and no
        /// other copy of the same bytes is registered. The caller keeps
        /// `body` (or a clone of it) alive at least as long as the copy.
        pub fn make(body: &Bytes) -> Option<Copy> {
            if body.len() < MIN_BYTES || !ENABLED.load(Ordering::Relaxed) {
                return None;
            }
            let span = (body.len() as u64).div_ceil(PAGE) * PAGE;
            if HELD.fetch_add(span, Ordering::Relaxed) + span > BUDGET_BYTES {
                HELD.fetch_sub(span, Ordering::Relaxed);
                return None;
            }
            let (arena, offset) = match allocate(span) {
                Ok(at) => at,
                Err(e) => {
                    HELD.fetch_sub(span, Ordering::Relaxed);
                    tracing::debug!(error = %e, "no memory file for sendfile");
                    return None;
                }
            };
            // From here on, dropping `region` gives the pages and the budget back.
            let region = Arc::new(Region { arena, offset, span });
            if let Err(e) = region.fill(body) {
                tracing::debug!(error = %e, "a body could not be kept for sendfile");
                return None;
            }
            let start = body.as_ptr() as usize;
            let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
            match registry.entry(start) {
                btree_map::Entry::Vacant(v) => {
                    v.insert(Entry { len: body.len(), region: region.clone() });
                    Some(Copy { start, region })
                }
                btree_map::Entry::Occupied(_) => None,
            }
        }
    }

    impl Drop for Copy {
        fn drop(&mut self) {
            let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
            // Only this copy's own entry (a refused second copy has none).
            if registry.get(&self.start).is_some_and(|e| Arc::ptr_eq(&e.region, &self.region)) {
                registry.remove(&self.start);
            }
        }
    }

    /// A fresh region of `span` bytes: the memory file and the offset.
    fn allocate(span: u64) -> io::Result<(Arc<Arena>, u64)> {
        let mut tail = TAIL.lock().unwrap_or_else(PoisonError::into_inner);
        let arena = match &tail.arena {
            Some(a) if tail.next + span <= FILE_SPAN => a.clone(),
            _ => {
                let fd = rustix::fs::memfd_create("newsdesk-bodies", MemfdFlags::CLOEXEC)?;
                let a = Arc::new(Arena { fd });
                tail.arena = Some(a.clone());
                tail.next = 0;
                a
            }
        };
        let offset = tail.next;
        tail.next += span;
        Ok((arena, offset))
    }

    /// The region holding `bytes` and where in its file they start, when
    /// they lie within a copied body. While an entry exists its body is
    /// alive (the page owns both), so no other bytes can sit at that
    /// address: a hit is these very bytes.
    fn locate(bytes: &[u8]) -> Option<(Arc<Region>, u64)> {
        if bytes.is_empty() {
            return None;
        }
        let ptr = bytes.as_ptr() as usize;
        let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
        let (&start, entry) = registry.range(..=ptr).next_back()?;
        let skip = ptr - start;
        (skip + bytes.len() <= entry.len)
            .then(|| (entry.region.clone(), entry.region.offset + skip as u64))
    }

    /// Writes `bufs` to `stream` like `writev`, except that a copied body
    /// goes with `sendfile` (what comes before it is sent first, marked as
    /// having more to follow). `None` when no buffer is a copied body.
    pub fn poll_send(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Option<Poll<io::Result<usize>>> {
        // Any length: what is left of a body after a partial send is
        // shorter than a body, and still goes without a copy.
        let (at, region, offset) = bufs
            .iter()
            .enumerate()
            .find_map(|(i, b)| locate(b).map(|(region, offset)| (i, region, offset)))?;
        Some(loop {
            match stream.poll_write_ready(cx) {
                Poll::Pending => break Poll::Pending,
                Poll::Ready(Err(e)) => break Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let sent = stream.try_io(Interest::WRITABLE, || {
                let n = if at > 0 {
                    rustix::net::sendmsg(
                        stream,
                        &bufs[..at],
                        &mut rustix::net::SendAncillaryBuffer::default(),
                        rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
                    )?
                } else {
                    let n = rustix::fs::sendfile(
                        stream,
                        &region.arena.fd,
                        Some(&mut { offset }),
                        bufs[0].len(),
                    )?;
                    SENT.fetch_add(n as u64, Ordering::Relaxed);
                    n
                };
                Ok(n)
            });
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => break Poll::Ready(r),
            }
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn body(len: usize, seed: u8) -> Bytes {
            Bytes::from(
                (0..len)
                    .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                    .collect::<Vec<u8>>(),
            )
        }

        fn read_back(arena: &Arena, offset: u64, len: usize) -> Vec<u8> {
            let mut out = vec![0; len];
            let mut done = 0;
            while done < len {
                let n = rustix::io::pread(&arena.fd, &mut out[done..], offset + done as u64)
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
            let (region, offset) = locate(&b).expect("the whole body is found");
            assert_eq!(read_back(&region.arena, offset, b.len()), b[..]);
            let tail = &b[1000..];
            let (region, offset) =
                locate(tail).expect("what is left after a partial send is found");
            assert_eq!(read_back(&region.arena, offset, tail.len()), tail);
            drop(region);
            drop(copy);
            assert!(locate(&b).is_none(), "a dropped copy is no longer found");
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
        fn a_dropped_copy_gives_its_pages_back_and_its_offsets_are_not_reused() {
            let a = body(64 * 1024, 5);
            let copy = Copy::make(&a).expect("copied");
            let arena = copy.region.arena.clone();
            let before = rustix::fs::fstat(&arena.fd).expect("fstat").st_blocks;
            let first = copy.region.offset;
            drop(copy);
            let after = rustix::fs::fstat(&arena.fd).expect("fstat").st_blocks;
            assert!(after < before, "the hole gives the pages back ({before} → {after} blocks)");
            let b = body(64 * 1024, 6);
            let next = Copy::make(&b).expect("copied");
            assert!(next.region.offset > first, "a new copy never lands where an old one was");
        }

        #[test]
        fn a_send_that_found_a_copy_keeps_its_bytes_until_it_is_done() {
            let b = body(30_000, 7);
            let copy = Copy::make(&b).expect("copied");
            let (region, offset) = locate(&b).expect("found");
            // The page goes (an edit) between the lookup and the send.
            drop(copy);
            assert!(locate(&b).is_none());
            assert_eq!(read_back(&region.arena, offset, b.len()), b[..], "not a hole yet");
            let arena = region.arena.clone();
            let held = held_bytes();
            drop(region);
            assert!(held_bytes() < held, "given back after the send");
            assert!(read_back(&arena, offset, b.len()).iter().all(|&x| x == 0), "a hole now");
        }

        #[test]
        fn copies_stop_at_the_budget() {
            let big = body(MIN_BYTES * 64, 9);
            let mut held = Vec::new();
            let mut refused = false;
            for _ in 0..(BUDGET_BYTES / (MIN_BYTES as u64 * 64) + 2) {
                match Copy::make(&big) {
                    Some(c) => held.push(c),
                    None => {
                        refused = true;
                        break;
                    }
                }
            }
            assert!(refused, "the budget ends the copies");
            assert!(held_bytes() <= BUDGET_BYTES);
            drop(held);
            assert!(Copy::make(&big).is_some(), "space given back is used again");
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
