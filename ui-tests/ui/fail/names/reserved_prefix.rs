struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(name = "rpc.discover")]
    fn discover(&self) -> u8 {
        1
    }
}

fn main() {}
