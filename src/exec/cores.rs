//! Keeping the judging thread off the request path's core.
//!
//! With few cores, the scheduler sometimes puts the judging thread on the
//! request path's core. Each answer then waits for judged cases before it is
//! read, and the exchanges no longer overlap with the judging: a sequential
//! run against a server on the same machine took up to twice as long
//! (`bench/notes.md`). So the judging thread leaves the request path's core
//! to it, where the system allows (Linux); elsewhere nothing changes. The
//! request path itself stays free to move, to follow the server.

/// The core the calling thread runs on now, where the system says.
pub fn current() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        Some(rustix::thread::sched_getcpu())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Let the calling thread run on any core it may run on now but `core`.
/// Nothing changes when that would leave no core, or the system refuses:
/// this only ever makes a run faster, never stops one.
pub fn avoid(core: Option<usize>) {
    #[cfg(target_os = "linux")]
    if let Some(core) = core {
        use rustix::thread::{sched_getaffinity, sched_setaffinity};
        let Ok(mut allowed) = sched_getaffinity(None) else {
            return;
        };
        if allowed.is_set(core) && allowed.count() > 1 {
            allowed.unset(core);
            let _ = sched_setaffinity(None, &allowed);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = core;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::thread::sched_getaffinity;

    #[test]
    fn a_thread_leaves_the_core_it_avoids_and_keeps_the_others() {
        let before = sched_getaffinity(None).unwrap();
        let core = (0..rustix::thread::CpuSet::MAX_CPU)
            .find(|&c| before.is_set(c))
            .unwrap();
        let after = std::thread::spawn(move || {
            avoid(Some(core));
            sched_getaffinity(None).unwrap()
        })
        .join()
        .unwrap();
        if before.count() > 1 {
            assert!(!after.is_set(core));
            assert_eq!(after.count(), before.count() - 1);
        } else {
            // The only core there is stays.
            assert_eq!(after, before);
        }
        // The calling thread is untouched.
        assert_eq!(sched_getaffinity(None).unwrap(), before);
    }

    #[test]
    fn a_thread_allowed_one_core_keeps_it() {
        let after = std::thread::spawn(|| {
            let mut one = rustix::thread::CpuSet::new();
            let core = current().unwrap();
            one.set(core);
            rustix::thread::sched_setaffinity(None, &one).unwrap();
            avoid(Some(core));
            sched_getaffinity(None).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(after.count(), 1);
    }
}
