//! `check`: one short run of each workload on one connection and a
//! fan-out to 3 subscribers; fails on any wrong answer.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::client::{Target, Ws};
use crate::fanout::{fanout, FanoutRun};
use crate::load::{drive, Counts, Workload};
use crate::BoxError;

pub(crate) async fn check(target: Target) -> Result<(), BoxError> {
    for workload in [Workload::Add, Workload::Echo4k, Workload::Batch10] {
        for in_flight in [1, 8] {
            let counts = Counts::default();
            let ws = Ws::open(&target, false).await?;
            let now = Instant::now();
            drive(
                ws,
                workload,
                in_flight,
                now,
                now + Duration::from_millis(200),
                &counts,
            )
            .await
            .map_err(|err| format!("{workload:?} with {in_flight} in flight: {err}"))?;
            if counts.messages.load(Ordering::Relaxed) == 0 {
                return Err(format!("{workload:?}: no answer").into());
            }
        }
    }
    fanout(FanoutRun {
        targets: vec![target],
        subscribers: 3,
        rounds: 2,
        pid: None,
    })
    .await?;
    println!("CHECK_OK");
    Ok(())
}
