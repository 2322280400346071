/** Fresh random numbers for tests (Math.random: new inputs every run). */

/** A standard normal draw (Box–Muller). */
export function gauss(): number {
  let u = 0;
  while (!u) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}
