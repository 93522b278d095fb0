//! Criterion benchmark: rpc-core's `Router::handle` (`ours`) against a
//! hand-written serde_json dispatcher (`floor`) and jsonrpsee 0.26
//! (`jsonrpsee`; plus `jsonrpsee_http`, its in-process HTTP service for every
//! case), on the same four request bodies. See `common/mod.rs` for what each
//! implementation does and how futures are run.
//!
//! Every answer is checked once before anything is timed. Run with
//! `cargo bench -p tests --bench dispatch`; ids are `<case>/<impl>`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;

use common::{Bench, Case, Impl};

fn dispatch(c: &mut Criterion) {
    common::floor::check_errors();
    let mut bench = Bench::new();
    bench.check_all();
    for case in Case::ALL {
        let mut group = c.benchmark_group(case.name());
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50);
        for imp in Impl::ALL {
            group.bench_function(imp.name(), |b| {
                b.iter(|| bench.run(black_box(imp), black_box(case), |out| black_box(out.len())));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
