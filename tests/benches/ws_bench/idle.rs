//! `idle`: the server's resident memory before and after opening idle
//! connections.

use std::time::Duration;

use crate::client::{need_files, open_many, Target};
use crate::BoxError;

pub(crate) fn parse_idle(
    url: &str,
    connections: &str,
    pid: &str,
) -> Result<(Target, usize, u32), BoxError> {
    Ok((Target::parse(url)?, connections.parse()?, pid.parse()?))
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| format!("no VmRSS for process {pid}").into())
}

pub(crate) async fn idle(target: Target, connections: usize, pid: u32) -> Result<(), BoxError> {
    need_files(connections)?;
    let before = rss_kib(pid)?;
    let sockets = open_many(&target, connections, |ws| async { Ok(ws) }).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid)?;
    let per_connection = (after.saturating_sub(before) * 1024) / connections.max(1) as u64;
    println!(
        "IDLE_RESULT connections={connections} rss_before_kb={before} rss_after_kb={after} per_connection_bytes={per_connection}"
    );
    drop(sockets);
    Ok(())
}
