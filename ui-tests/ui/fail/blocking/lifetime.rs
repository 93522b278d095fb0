struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(blocking)]
    fn first<'a>(&self, words: Vec<String>) -> Option<&'a str> {
        words.first().map(|_| "first")
    }
}

fn main() {}
