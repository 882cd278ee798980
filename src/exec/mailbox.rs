//! The hand-off from the request path to the judging thread.
//!
//! Waking a sleeping thread for every finished case costs a system call on
//! each side, more than the case's own bookkeeping. So sending only appends
//! under a lock that is almost never contended, and the receiver looks for
//! work itself: while cases keep finishing it stays on its core, giving the
//! core away to anyone who wants it (`yield`) between looks; once nothing
//! has come for five milliseconds it sleeps, a little longer each time, until
//! the mailbox closes and wakes it at once.
//!
//! Staying on its core is what keeps a fast endpoint on loopback fast: an
//! idle core draws the server's process to it, and every exchange then
//! costs a wake-up across cores.

use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long the receiver keeps looking after the last item before it sleeps:
/// long enough to stay through a run's first connection, too (measured:
/// with one millisecond, a third of the benchmark's runs lost their core).
const STAY: Duration = Duration::from_millis(5);
/// The first sleep of an idle receiver, and the longest.
const FIRST_SLEEP: Duration = Duration::from_micros(200);
const LONGEST_SLEEP: Duration = Duration::from_millis(5);

pub struct Mailbox<T> {
    state: Mutex<State<T>>,
    receiver: OnceLock<Thread>,
}

struct State<T> {
    items: Vec<T>,
    closed: bool,
    /// The receiver stopped for good (it panicked): nobody will take more.
    hung_up: bool,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox {
            state: Mutex::new(State {
                items: Vec::new(),
                closed: false,
                hung_up: false,
            }),
            receiver: OnceLock::new(),
        }
    }
}

impl<T> Mailbox<T> {
    pub fn send(&self, item: T) {
        self.lock().items.push(item);
    }

    /// Whether more than `limit` items wait for a receiver that is still there.
    pub fn behind(&self, limit: usize) -> bool {
        let state = self.lock();
        state.items.len() > limit && !state.hung_up
    }

    /// The receiver's promise to say when it stops for good: dropping the
    /// guard (also while unwinding) tells the senders not to wait for it.
    pub fn receiving(&self) -> Receiving<'_, T> {
        Receiving(self)
    }

    /// No more items: the receiver drains what is there and stops.
    pub fn close(&self) {
        self.lock().closed = true;
        if let Some(t) = self.receiver.get() {
            t.unpark();
        }
    }

    /// Wait for items and move them, in the order sent, into `batch` (which
    /// should be empty). False once the mailbox is closed and drained.
    /// Only one thread may receive.
    pub fn receive(&self, batch: &mut Vec<T>) -> bool {
        // Known before the first look, so that `close` can always wake it.
        self.receiver.get_or_init(std::thread::current);
        let since = Instant::now();
        let mut sleep = FIRST_SLEEP;
        loop {
            {
                let mut state = self.lock();
                if !state.items.is_empty() {
                    std::mem::swap(&mut state.items, batch);
                    return true;
                }
                if state.closed {
                    return false;
                }
            }
            if since.elapsed() < STAY {
                std::thread::yield_now();
                continue;
            }
            // An `unpark` from `close` after the look above ends this at once.
            std::thread::park_timeout(sleep);
            sleep = (sleep * 2).min(LONGEST_SLEEP);
        }
    }

    /// The sender's promise to close: dropping the guard (also while
    /// unwinding) closes the mailbox, so the receiver never waits forever.
    pub fn closing(&self) -> Closing<'_, T> {
        Closing(self)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // A panic elsewhere while holding the lock leaves the items intact.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Receiving<'a, T>(&'a Mailbox<T>);

pub struct Closing<'a, T>(&'a Mailbox<T>);

impl<T> Drop for Closing<'_, T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl<T> Drop for Receiving<'_, T> {
    fn drop(&mut self) {
        self.0.lock().hung_up = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_arrives_once_in_order_and_close_ends_the_receiver() {
        let mailbox = Mailbox::default();
        let received = std::thread::scope(|s| {
            let receiver = s.spawn(|| {
                let (mut all, mut batch) = (Vec::new(), Vec::new());
                while mailbox.receive(&mut batch) {
                    all.append(&mut batch);
                }
                all
            });
            for i in 0..10_000 {
                mailbox.send(i);
                if i % 1000 == 0 {
                    // Pauses longer than the receiver stays awake: it sleeps and must come back.
                    std::thread::sleep(Duration::from_millis(3));
                }
            }
            mailbox.close();
            receiver.join().unwrap()
        });
        assert_eq!(received, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn senders_stop_waiting_for_a_receiver_that_panicked() {
        let mailbox = Mailbox::default();
        (0..10).for_each(|i| mailbox.send(i));
        assert!(mailbox.behind(5));
        let stopped = std::thread::scope(|s| {
            s.spawn(|| {
                let _receiving = mailbox.receiving();
                panic!("a listener broke");
            })
            .join()
        });
        assert!(stopped.is_err());
        assert!(!mailbox.behind(5));
    }

    #[test]
    fn a_sender_that_panics_still_closes_the_mailbox() {
        let mailbox = Mailbox::default();
        let drained = std::thread::scope(|s| {
            let receiver = s.spawn(|| {
                let mut batch = Vec::new();
                let mut n = 0;
                while mailbox.receive(&mut batch) {
                    n += batch.drain(..).count();
                }
                n
            });
            let sender = s.spawn(|| {
                let _closing = mailbox.closing();
                mailbox.send(1);
                panic!("the request path broke");
            });
            assert!(sender.join().is_err());
            receiver.join().unwrap()
        });
        assert_eq!(drained, 1);
    }

    #[test]
    fn a_receiver_that_starts_after_close_still_drains() {
        let mailbox = Mailbox::default();
        mailbox.send("a");
        mailbox.close();
        let mut batch = Vec::new();
        assert!(mailbox.receive(&mut batch));
        assert_eq!(batch, ["a"]);
        batch.clear();
        assert!(!mailbox.receive(&mut batch));
    }
}
