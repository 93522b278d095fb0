struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(blocking)]
    fn hash(&self, text: &str) -> usize {
        text.len()
    }
}

fn main() {}
