use rpc_core::client::InProcess;
use serde::Deserialize;

#[derive(Deserialize)]
struct Query {
    text: String,
}

struct Search;

#[rpc_core::rpc]
impl Search {
    fn find(&self, query: Query) -> usize {
        query.text.len()
    }
}

fn main() {
    let client = SearchClient::new(InProcess::new(Search.into_router()));
    let _ = client.find(Query { text: "x".into() });
}
