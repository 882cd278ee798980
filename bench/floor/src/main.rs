//! The floor of the benchmark: `floor BASE N` fetches `BASE/services/<i>.json`
//! for i in 0..N, one request after the other on one keep-alive connection,
//! reading each body whole and checking nothing. What conform adds above this
//! is the cost of its checks, reports and bookkeeping.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: floor BASE N   (fetches BASE/services/<i>.json for i in 0..N)");
        return ExitCode::from(2);
    };
    let client = match reqwest::Client::builder().pool_max_idle_per_host(1).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot build the client: {e}");
            return ExitCode::from(2);
        }
    };
    let base = base.trim_end_matches('/');
    let mut bytes = 0usize;
    for i in 0..n {
        let url = format!("{base}/services/{i}.json");
        match client.get(&url).send().await {
            Ok(resp) => match resp.bytes().await {
                Ok(body) => bytes += body.len(),
                Err(e) => {
                    eprintln!("error: {url}: the body broke off: {e}");
                    return ExitCode::from(1);
                }
            },
            Err(e) => {
                eprintln!("error: {url}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    eprintln!("{n} requests, {bytes} body bytes");
    ExitCode::SUCCESS
}
