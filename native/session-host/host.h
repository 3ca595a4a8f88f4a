/* What host.c (framing, the session table, the main loop) and session.c (onnxruntime calls) share. */
#ifndef RPA_HOST_H
#define RPA_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "ort-table.h"
#include "frames.h"
#include "platform.h"

/* the OrtApi table and the process-wide onnxruntime objects (set once in main, read-only after) */
extern void *const *ort;
extern ort_env *g_env;
extern ort_memory_info *g_cpu;
extern ort_allocator *g_alloc;
#define ORT_FN(type, slot) ((type)ort[slot])

/* a piece of an outgoing frame's payload */
typedef struct part {
  const void *data;
  size_t len;
} part;

/* writes one frame (header + parts) atomically with respect to other threads; exits the process if the pipe fails */
void send_frame(unsigned type, uint32_t id, const part *parts, size_t n);
void send_error(uint32_t id, unsigned code, int ort_code, const char *message);

typedef struct job {
  unsigned type; /* FRAME_RUN or FRAME_RELEASE */
  uint32_t id;
  uint8_t *payload;
  uint32_t len;
  struct job *next;
} job;

typedef struct session {
  uint32_t id;
  ort_session *s;
  size_t n_in, n_out;
  char **in_names, **out_names;
  /* the create request, consumed by the session's thread */
  uint8_t *create_payload;
  uint32_t create_len;
  /* the model's bytes when they came in MODEL_PART frames (owned; NULL: the rest of the create payload) */
  uint8_t *model;
  uint64_t model_len;
  job *head, *tail;
  plat_cond wake;
  /* a RELEASE is queued: later runs are refused */
  int releasing;
  struct session *next;
} session;

/* the session's own thread: creates it, then serves its queue until its RELEASE (session.c) */
void session_thread(void *arg);
/* takes the next job of `s`, waiting for one (host.c) */
job *next_job(session *s);
/* removes `s` from the table and frees it (host.c) */
void forget_session(session *s);

/* little-endian reads with bounds: return 0 when past the end */
typedef struct reader {
  const uint8_t *p;
  size_t len, at;
} reader;
int rd_u8(reader *r, uint8_t *v);
int rd_u16(reader *r, uint16_t *v);
int rd_u32(reader *r, uint32_t *v);
int rd_i64(reader *r, int64_t *v);
int rd_bytes(reader *r, size_t n, const uint8_t **out);

/* an onnxruntime status as an ERROR frame; returns 1 when there was an error (and releases the status) */
int ort_failed(ort_status *st, uint32_t id, unsigned code, const char *what);

#endif
