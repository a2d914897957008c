export async function runServeCommand(_argv: string[]): Promise<number> { throw new Error("serve: not wired yet"); }
