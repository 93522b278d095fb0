//! A skipped `async fn` in an `#[rpc]` trait keeps its own future, which may
//! hold non-`Send` values; only served methods must return `Send` futures.

use std::rc::Rc;

#[rpc_core::rpc]
trait Api {
    async fn served(&self) -> u8;

    #[rpc(skip)]
    async fn local_only(&self) -> usize;
}

struct S;

impl Api for S {
    async fn served(&self) -> u8 {
        1
    }

    async fn local_only(&self) -> usize {
        let shared = Rc::new(5);
        std::future::ready(()).await;
        *shared
    }
}

fn main() {
    let _ = S.into_router();
}
