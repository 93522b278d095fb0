//! A mistake in the service gives its one error; the code that uses what
//! the attribute generates (router, listing, client) gives none.

use rpc_core::client::InProcess;

struct Counter {
    n: u8,
}

#[rpc_core::rpc]
impl Counter {
    fn bump(&mut self) -> u8 {
        self.n += 1;
        self.n
    }

    fn get(&self) -> u8 {
        self.n
    }
}

fn main() {
    let router = Counter { n: 0 }.into_router();
    assert_eq!(Counter::METHODS.len(), 2);
    let client = CounterClient::new(InProcess::new(router));
    let _ = client.get();
    let _ = client.bump();
}
