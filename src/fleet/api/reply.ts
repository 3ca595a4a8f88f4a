/** A handler's answer when it is not a plain 200 JSON body (e.g. 201 Created, 503 from /health). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}
