//! Instruction-count driver for `scripts/instructions.sh`: runs one
//! implementation on one request body N times, to be counted under
//! valgrind's callgrind, which repeats exactly where wall-clock time does not.
//!
//! ```text
//! instructions <impl> <case> <iterations>
//!   impl: floor | ours | jsonrpsee | jsonrpsee_http
//!   case: add_positional | add_named | batch10 | echo4k | echo_owned4k | sum1000
//! ```
//!
//! Set-up (building the servers and checking every answer once) costs the
//! same whatever N is, so the script takes the difference of two runs.
//! Without arguments (as `cargo bench` runs it) it prints this usage and
//! exits successfully; `--` flags from cargo are ignored.
//!
//! To profile only the requests, leave set-up out with
//! `valgrind --tool=callgrind --toggle-collect='*measured*' <exe> ours add_positional 10000`
//! and read the result with `callgrind_annotate --inclusive=yes`.

use std::hint::black_box;
use std::process::ExitCode;

mod common;

use common::{Bench, Case, Impl};

const USAGE: &str = "usage: instructions <floor|ours|jsonrpsee|jsonrpsee_http> \
                     <add_positional|add_named|batch10|echo4k|echo_owned4k|sum1000> <iterations>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let [imp, case, iterations] = args.as_slice() else {
        // `cargo bench` (with or without a filter) lands here: nothing to do.
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    };
    let (Some(imp), Some(case), Ok(iterations)) = (
        Impl::from_name(imp),
        Case::from_name(case),
        iterations.parse::<u64>(),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };

    common::floor::check_errors();
    let mut bench = Bench::new();
    bench.check_all();

    black_box(measured(&mut bench, imp, case, iterations));
    ExitCode::SUCCESS
}

/// The measured loop, kept out of line so that a profile can be limited to it:
/// `valgrind --tool=callgrind --toggle-collect='*measured*' <exe> ours add_positional 10000`.
#[inline(never)]
fn measured(bench: &mut Bench, imp: Impl, case: Case, iterations: u64) -> usize {
    let mut bytes = 0usize;
    for _ in 0..iterations {
        bytes += bench.run(black_box(imp), black_box(case), |out| black_box(out).len());
    }
    bytes
}
