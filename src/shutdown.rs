//! Ctrl-C and SIGTERM, the two ways a user or a CI server stops a run.
//!
//! The handlers are installed when [`listen`] is called, not when its future
//! is first polled: a signal that arrives between the two would otherwise
//! meet the default action and kill the process before any report is written.

use std::future::Future;

/// Install the handlers now; the returned future resolves at the first signal.
/// Must be called inside a tokio runtime.
pub fn listen() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).ok();
        let mut terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                _ = next(interrupt.as_mut()) => {}
                _ = next(terminate.as_mut()) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        let mut interrupt = tokio::signal::windows::ctrl_c().ok();
        async move {
            match interrupt.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
    }
}

/// The next delivery of a signal, or never when its handler could not be installed.
#[cfg(unix)]
async fn next(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
