use rpc_core::client::InProcess;
use serde::Serialize;

#[derive(Serialize)]
struct Hits {
    count: usize,
}

struct Search;

#[rpc_core::rpc]
impl Search {
    fn find(&self, text: String) -> Hits {
        Hits { count: text.len() }
    }
}

fn main() {
    let client = SearchClient::new(InProcess::new(Search.into_router()));
    let mut batch = client.batch();
    let _ = batch.find("x".into());
}
