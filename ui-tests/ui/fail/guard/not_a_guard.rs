struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(guard = 42)]
    fn secret(&self) -> u32 {
        7
    }
}

fn main() {}
