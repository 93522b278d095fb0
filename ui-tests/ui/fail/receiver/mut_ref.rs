struct S {
    n: u8,
}

#[rpc_core::rpc]
impl S {
    fn bump(&mut self) -> u8 {
        self.n += 1;
        self.n
    }
}

fn main() {}
