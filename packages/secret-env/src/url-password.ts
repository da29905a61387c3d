/**
 * `postgres://shopfloor@db:5432/shop` + `a/b+c=@d:e f` → `postgres://shopfloor:a%2Fb%2Bc%3D%40d%3Ae%20f@db:5432/shop`.
 * Every character but letters, digits and `-_.!~*'()` is percent-encoded, `%` included, so any
 * password survives pg's and amqplib's decoding. Throws (without the password) when the URL
 * already carries one or has no user: two sources for one secret is a mistake to point out.
 */
export function urlWithPassword(url: string, password: string, name = 'the URL'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${name} is not a URL`);
  }
  if (parsed.password !== '') throw new Error(`${name} already carries a password: give it either there or in the password file, not both`);
  if (parsed.username === '') throw new Error(`${name} names no user (scheme://user@host/...) for the password to go with`);
  // The setter leaves `%` as it is: encoding first makes it literal.
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
