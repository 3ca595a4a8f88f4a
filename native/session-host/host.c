/*
 * rpa-session-host: the agent's native session host (issue 17 §2: a session process without Node or V8). It loads
 * onnxruntime's shared library (the one onnxruntime-node ships), resolves only OrtGetApiBase, and serves primitive
 * operations over its standard input and output (frames.h): create a session from a model's bytes, run it, release
 * it. Everything else of a model load (sha256, contract, self-test, warm-up, latency budget, provider order) stays in
 * the agent's TypeScript (src/agent/inference/load-pipeline.ts), written once for both kinds of session process.
 *
 * Threads: the main thread only reads frames and routes them. Each session has its own thread, which creates the
 * session and then runs its queue (runs, then its release) one at a time, so a 100+ ms create never holds up the
 * runs of the other roles. Output frames are written whole under one lock.
 *
 * Usage: rpa-session-host <path of libonnxruntime.so.1 | onnxruntime.dll | libonnxruntime.dylib>
 * Ends when its standard input closes (the agent closed it or died), on SIGTERM/SIGKILL, and — Linux — when the
 * agent dies even while a run never returns (PR_SET_PDEATHSIG).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"

void *const *ort;
ort_env *g_env;
ort_memory_info *g_cpu;
ort_allocator *g_alloc;

static plat_mutex out_lock;
static plat_mutex table_lock;
static session *sessions;

/*
 * Models arriving in MODEL_PART frames, by the session id of the CREATE that will take them. Touched by the main
 * thread only (no lock). `why` is set once a part was refused: the CREATE is then answered ERROR with it.
 */
typedef struct staged {
  uint32_t id;
  uint8_t *bytes;
  uint64_t total, got;
  const char *why;
  struct staged *next;
} staged;
static staged *staging;
/* models that may arrive in parts at once (the agent loads one per role at a time, and proves it in another process) */
#define MAX_STAGED 4

/* ------------------------------------------------------------------ little-endian helpers */

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int rd_u8(reader *r, uint8_t *v) {
  if (r->len - r->at < 1) return 0;
  *v = r->p[r->at++];
  return 1;
}
int rd_u16(reader *r, uint16_t *v) {
  if (r->len - r->at < 2) return 0;
  *v = (uint16_t)(r->p[r->at] | r->p[r->at + 1] << 8);
  r->at += 2;
  return 1;
}
int rd_u32(reader *r, uint32_t *v) {
  if (r->len - r->at < 4) return 0;
  *v = get_u32(r->p + r->at);
  r->at += 4;
  return 1;
}
int rd_i64(reader *r, int64_t *v) {
  if (r->len - r->at < 8) return 0;
  uint64_t x = (uint64_t)get_u32(r->p + r->at) | (uint64_t)get_u32(r->p + r->at + 4) << 32;
  *v = (int64_t)x;
  r->at += 8;
  return 1;
}
int rd_bytes(reader *r, size_t n, const uint8_t **out) {
  if (r->len - r->at < n) return 0;
  *out = r->p + r->at;
  r->at += n;
  return 1;
}

/* ------------------------------------------------------------------ output */

static void write_all(const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  while (len > 0) {
    long n = plat_write(p, len);
    if (n <= 0) _exit(EXIT_IO); /* the agent is gone: nothing left to serve */
    p += n;
    len -= (size_t)n;
  }
}

void send_frame(unsigned type, uint32_t id, const part *parts, size_t n) {
  uint8_t h[FRAME_HEADER_BYTES];
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += parts[i].len;
  put_u32(h, FRAME_MAGIC);
  put_u16(h + 4, (uint16_t)type);
  put_u16(h + 6, 0);
  put_u32(h + 8, id);
  put_u32(h + 12, (uint32_t)total);
  plat_lock(&out_lock);
  write_all(h, sizeof h);
  for (size_t i = 0; i < n; i++)
    if (parts[i].len) write_all(parts[i].data, parts[i].len);
  plat_unlock(&out_lock);
}

void send_error(uint32_t id, unsigned code, int ort_code, const char *message) {
  uint8_t head[4];
  put_u16(head, (uint16_t)code);
  put_u16(head + 2, (uint16_t)ort_code);
  part parts[2] = {{head, 4}, {message, strlen(message)}};
  send_frame(FRAME_ERROR, id, parts, 2);
}

int ort_failed(ort_status *st, uint32_t id, unsigned code, const char *what) {
  if (!st) return 0;
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: %s", what, ORT_FN(fn_status_message, SLOT_GET_ERROR_MESSAGE)(st));
  int ort_code = ORT_FN(fn_status_code, SLOT_GET_ERROR_CODE)(st);
  ORT_FN(fn_release, SLOT_RELEASE_STATUS)(st);
  send_error(id, code, ort_code, msg);
  return 1;
}

/* ------------------------------------------------------------------ the session table */

static session *find_session(uint32_t id) {
  for (session *s = sessions; s; s = s->next)
    if (s->id == id) return s;
  return NULL;
}

job *next_job(session *s) {
  plat_lock(&table_lock);
  while (!s->head) plat_wait(&s->wake, &table_lock);
  job *j = s->head;
  s->head = j->next;
  if (!s->head) s->tail = NULL;
  plat_unlock(&table_lock);
  return j;
}

void forget_session(session *s) {
  plat_lock(&table_lock);
  for (session **p = &sessions; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  /* jobs still queued (a create that failed): refused */
  job *j = s->head;
  s->head = s->tail = NULL;
  plat_unlock(&table_lock);
  while (j) {
    job *next = j->next;
    if (j->type == FRAME_RELEASE) send_frame(FRAME_RELEASED, j->id, NULL, 0);
    else send_error(j->id, HOST_ERR_NO_SESSION, 0, "no such session in this host");
    free(j->payload);
    free(j);
    j = next;
  }
  free(s);
}

/* queues a run or a release on its session; false when there is no such session (or it is being released) */
static int enqueue(uint32_t sid, job *j) {
  plat_lock(&table_lock);
  session *s = find_session(sid);
  if (!s || s->releasing) {
    plat_unlock(&table_lock);
    return 0;
  }
  if (j->type == FRAME_RELEASE) s->releasing = 1;
  if (s->tail) s->tail->next = j;
  else s->head = j;
  s->tail = j;
  plat_signal(&s->wake);
  plat_unlock(&table_lock);
  return 1;
}

/* ------------------------------------------------------------------ input */

/* reads exactly n bytes; 0 at a clean end of input before the first byte, -1 at an end in the middle */
static int read_exact(void *buf, size_t n) {
  uint8_t *p = (uint8_t *)buf;
  size_t got = 0;
  while (got < n) {
    long r = plat_read(p + got, n - got);
    if (r <= 0) return got == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static void bad_stream(uint32_t id, const char *why) {
  send_error(id, HOST_ERR_BAD_FRAME, 0, why);
  fprintf(stderr, "rpa-session-host: %s\n", why);
  _exit(EXIT_BAD_FRAME);
}

static staged *find_staged(uint32_t id) {
  for (staged *p = staging; p; p = p->next)
    if (p->id == id) return p;
  return NULL;
}

/* takes the parts staged for `id` out of the table (NULL when none came) */
static staged *take_staged(uint32_t id) {
  for (staged **p = &staging; *p; p = &(*p)->next)
    if ((*p)->id == id) {
      staged *st = *p;
      *p = st->next;
      return st;
    }
  return NULL;
}

static void drop_staged(staged *st) {
  if (!st) return;
  free(st->bytes);
  free(st);
}

/* reads and discards n bytes of the input (a part that was refused: the stream stays aligned) */
static void skip_input(uint64_t n) {
  uint8_t scratch[65536];
  while (n > 0) {
    size_t step = n > sizeof scratch ? sizeof scratch : (size_t)n;
    if (read_exact(scratch, step) != 1) bad_stream(0, "input ended inside a frame's payload");
    n -= step;
  }
}

/*
 * One MODEL_PART frame, read straight into its model's buffer (no copy of the payload). A part that does not fit
 * (out of order, past the total, a total that changed or over the limit, no memory) is skipped and marks its model
 * refused; the CREATE that follows answers ERROR with why.
 */
static void read_part(uint32_t id, uint32_t len) {
  uint8_t head[16];
  if (len < sizeof head) bad_stream(id, "model part shorter than its fixed part");
  if (read_exact(head, sizeof head) != 1) bad_stream(id, "input ended inside a frame's payload");
  uint64_t total = (uint64_t)get_u32(head) | (uint64_t)get_u32(head + 4) << 32;
  uint64_t offset = (uint64_t)get_u32(head + 8) | (uint64_t)get_u32(head + 12) << 32;
  uint64_t n = len - sizeof head;
  staged *st = find_staged(id);
  if (!st) {
    int count = 0;
    for (staged *p = staging; p; p = p->next) count++;
    st = (staged *)calloc(1, sizeof *st);
    if (!st) bad_stream(id, "out of memory for a model part");
    st->id = id;
    st->total = total;
    st->next = staging;
    staging = st;
    if (count >= MAX_STAGED) st->why = "model parts: too many models arriving in parts at once";
    else if (total == 0 || total > FRAME_MAX_PAYLOAD) st->why = "model parts: total length 0 or over the limit";
    else if (!(st->bytes = (uint8_t *)malloc((size_t)total))) st->why = "out of memory for the model's parts";
  }
  if (!st->why) {
    if (total != st->total) st->why = "model parts: the total length changed between parts";
    else if (offset != st->got) st->why = "model parts out of order (offset is not the bytes received so far)";
    else if (n > st->total - st->got) st->why = "model parts: more bytes than the total length";
  }
  if (st->why) {
    free(st->bytes);
    st->bytes = NULL;
    skip_input(n);
    return;
  }
  if (n && read_exact(st->bytes + st->got, (size_t)n) != 1) bad_stream(id, "input ended inside a frame's payload");
  st->got += n;
}

static void route(unsigned type, uint32_t id, uint8_t *payload, uint32_t len) {
  if (type == FRAME_CREATE) {
    staged *st = take_staged(id);
    if (st && (st->why || st->got != st->total)) {
      send_error(id, HOST_ERR_BAD_FRAME, 0, st->why ? st->why : "model parts incomplete: fewer bytes than the total length");
      drop_staged(st);
      free(payload);
      return;
    }
    session *s = (session *)calloc(1, sizeof *s);
    if (!s) {
      drop_staged(st);
      free(payload);
      send_error(id, HOST_ERR_NO_MEMORY, 0, "out of memory");
      return;
    }
    s->id = id;
    s->create_payload = payload;
    s->create_len = len;
    if (st) {
      s->model = st->bytes;
      s->model_len = st->total;
      free(st);
    }
    plat_cond_init(&s->wake);
    plat_lock(&table_lock);
    int dup = find_session(id) != NULL;
    if (!dup) {
      s->next = sessions;
      sessions = s;
    }
    plat_unlock(&table_lock);
    if (dup) {
      free(payload);
      free(s->model);
      free(s);
      send_error(id, HOST_ERR_DUPLICATE, 0, "a session with this id exists already");
      return;
    }
    if (plat_thread(session_thread, s) != 0) {
      s->create_payload = NULL;
      free(payload);
      free(s->model);
      s->model = NULL;
      send_error(id, HOST_ERR_NO_MEMORY, 0, "could not start the session's thread");
      forget_session(s);
    }
    return;
  }
  /* RUN names its session in its first 4 bytes; RELEASE is the session id itself */
  if (type == FRAME_RUN && len < 8) {
    free(payload);
    send_error(id, HOST_ERR_BAD_FRAME, 0, "run frame shorter than its fixed part");
    return;
  }
  uint32_t sid = type == FRAME_RUN ? get_u32(payload) : id;
  if (type == FRAME_RELEASE) drop_staged(take_staged(id));
  job *j = (job *)calloc(1, sizeof *j);
  if (!j) {
    free(payload);
    send_error(id, HOST_ERR_NO_MEMORY, 0, "out of memory");
    return;
  }
  j->type = type;
  j->id = id;
  j->payload = payload;
  j->len = len;
  if (enqueue(sid, j)) return;
  free(payload);
  free(j);
  /* releasing what is not there is done at once (as a Node session worker answers it) */
  if (type == FRAME_RELEASE) send_frame(FRAME_RELEASED, id, NULL, 0);
  else send_error(id, HOST_ERR_NO_SESSION, 0, "no such session in this host");
}

/* loads the library and its API table; NULL when it is missing, not onnxruntime, or older than the API we ask for */
static const ort_api_base *load_runtime(const char *path) {
  void *lib = plat_dlopen(path);
  if (!lib) return NULL;
  ort_get_api_base_fn get_base = (ort_get_api_base_fn)plat_dlsym(lib, "OrtGetApiBase");
  const ort_api_base *base = get_base ? get_base() : NULL;
  if (!base) return NULL;
  ort = base->get_api(RPA_ORT_API_VERSION);
  return ort ? base : NULL;
}

int main(int argc, char **argv) {
  plat_stdio_binary();
  plat_die_with_parent();
  plat_mutex_init(&out_lock);
  plat_mutex_init(&table_lock);
  if (argc != 2) {
    fprintf(stderr, "usage: rpa-session-host <onnxruntime library>\n");
    return 64;
  }
  const ort_api_base *base = load_runtime(argv[1]);
  if (!base) {
    char msg[512];
    snprintf(msg, sizeof msg, "cannot use onnxruntime at %s (missing, not a library, or older than API %u)", argv[1], RPA_ORT_API_VERSION);
    send_error(0, HOST_ERR_ORT, 0, msg);
    fprintf(stderr, "rpa-session-host: %s\n", msg);
    return EXIT_NO_RUNTIME;
  }
  const char *version = base->get_version_string();
  if (ort_failed(ORT_FN(fn_create_env, SLOT_CREATE_ENV)(ORT_LOG_ERROR, "rpa-session-host", &g_env), 0, HOST_ERR_ORT, "CreateEnv")) return EXIT_NO_RUNTIME;
  if (ort_failed(ORT_FN(fn_create_cpu_memory_info, SLOT_CREATE_CPU_MEMORY_INFO)(ORT_DEVICE_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &g_cpu), 0, HOST_ERR_ORT, "CreateCpuMemoryInfo"))
    return EXIT_NO_RUNTIME;
  if (ort_failed(ORT_FN(fn_default_allocator, SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS)(&g_alloc), 0, HOST_ERR_ORT, "GetAllocatorWithDefaultOptions")) return EXIT_NO_RUNTIME;

  uint8_t ready[8];
  put_u32(ready, FRAME_PROTOCOL);
  put_u32(ready + 4, RPA_ORT_API_VERSION);
  part parts[2] = {{ready, 8}, {version, strlen(version)}};
  send_frame(FRAME_READY, 0, parts, 2);

  for (;;) {
    uint8_t h[FRAME_HEADER_BYTES];
    int r = read_exact(h, sizeof h);
    if (r == 0) _exit(0); /* the agent closed our input: done (sessions and threads end with the process) */
    if (r < 0) bad_stream(0, "input ended inside a frame header");
    uint32_t magic = get_u32(h), id = get_u32(h + 8), len = get_u32(h + 12);
    unsigned type = (unsigned)(h[4] | h[5] << 8), reserved = (unsigned)(h[6] | h[7] << 8);
    if (magic != FRAME_MAGIC) bad_stream(id, "bad frame magic");
    if (reserved != 0) bad_stream(id, "bad frame: reserved field not zero");
    if (type != FRAME_CREATE && type != FRAME_RUN && type != FRAME_RELEASE && type != FRAME_MODEL_PART) bad_stream(id, "bad frame: unknown type");
    if (len > FRAME_MAX_PAYLOAD) bad_stream(id, "bad frame: payload over the limit");
    if (type == FRAME_MODEL_PART) {
      read_part(id, len);
      continue;
    }
    uint8_t *payload = (uint8_t *)malloc(len ? len : 1);
    if (!payload) bad_stream(id, "out of memory for a frame's payload");
    if (len && read_exact(payload, len) != 1) bad_stream(id, "input ended inside a frame's payload");
    route(type, id, payload, len);
  }
}
