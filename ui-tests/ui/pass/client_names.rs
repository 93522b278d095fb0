//! The client names its transport `T`, its batch's lifetime `'c` and its
//! bounds' lifetime `'x`, unless the service's own types use those names,
//! which it would then shadow.

use rpc_core::client::InProcess;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct T {
    n: u8,
}

struct S;

#[rpc_core::rpc]
impl S {
    fn named_t(&self, t: T) -> T {
        t
    }

    fn lifetime_c<'c>(&self, text: &'c str) -> &'c str {
        text
    }

    fn lifetime_x<'x>(&self, t: T, text: &'x str) -> (T, &'x str) {
        (t, text)
    }
}

fn main() {
    let client = SClient::new(InProcess::new(S.into_router()));
    let _ = client.named_t(T { n: 1 });
    let _ = client.lifetime_x(T { n: 2 }, "x");
    let mut batch = client.batch();
    let _ = batch.lifetime_c("c");
}
