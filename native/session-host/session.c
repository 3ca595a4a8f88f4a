/*
 * One session's thread: create the session from the CREATE frame's bytes and options (providers appended as
 * onnxruntime wants them), answer CREATED with its inputs' and outputs' names, element types and shapes, then run its
 * queue one job at a time until its RELEASE. Runs of one session are serialised here (DirectML requires it; the
 * agent's session workers always did so); sessions run in parallel with each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"

/* a growable output buffer */
typedef struct buf {
  uint8_t *p;
  size_t len, cap;
  int failed;
} buf;

static void put(buf *b, const void *data, size_t n) {
  if (b->failed || n == 0) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = (uint8_t *)realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}
static void put_u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void put_le(buf *b, uint64_t v, int bytes) {
  uint8_t t[8];
  for (int i = 0; i < bytes; i++) t[i] = (uint8_t)(v >> (8 * i));
  put(b, t, (size_t)bytes);
}

/* ------------------------------------------------------------------ create */

static ort_status *append_provider(ort_session_options *o, const char *provider) {
  if (strcmp(provider, "cpu") == 0) return NULL;
  if (strcmp(provider, "cuda") == 0) {
    ort_cuda_options *cuda = NULL;
    ort_status *st = ORT_FN(fn_create_cuda_options, SLOT_CREATE_CUDA_OPTIONS)(&cuda);
    if (st) return st;
    st = ORT_FN(fn_append_cuda_v2, SLOT_APPEND_EP_CUDA_V2)(o, cuda);
    ORT_FN(fn_release, SLOT_RELEASE_CUDA_OPTIONS)(cuda);
    return st;
  }
  if (strcmp(provider, "dml") == 0) {
    const void *const *dml = NULL;
    ort_status *st = ORT_FN(fn_ep_api, SLOT_GET_EXECUTION_PROVIDER_API)("DML", RPA_ORT_API_VERSION, (const void **)&dml);
    if (st) return st;
    return ((fn_append_dml)dml[0])(o, 0);
  }
  /* the rest by onnxruntime's own provider names */
  const char *name = strcmp(provider, "coreml") == 0 ? "CoreML" : strcmp(provider, "webgpu") == 0 ? "WebGPU" : provider;
  return ORT_FN(fn_append_generic, SLOT_APPEND_EP_GENERIC)(o, name, NULL, NULL, 0);
}

static int set_options(session *s, ort_session_options *o, uint32_t intra, uint32_t inter, uint8_t spin, uint8_t arena, uint8_t severity) {
  const char *spin_value = spin ? "1" : "0";
  if (ort_failed(ORT_FN(fn_options_int, SLOT_SET_SESSION_EXECUTION_MODE)(o, ORT_SEQUENTIAL), s->id, HOST_ERR_ORT, "SetSessionExecutionMode")) return 0;
  if (ort_failed(ORT_FN(fn_options_int, SLOT_SET_SESSION_GRAPH_OPTIMIZATION_LEVEL)(o, ORT_OPTIMIZE_ALL), s->id, HOST_ERR_ORT, "SetSessionGraphOptimizationLevel")) return 0;
  /* onnxruntime's CPU arena and memory patterns hold every run's peak; off unless asked for (providers.ts) */
  if (ort_failed(ORT_FN(fn_options_void, arena ? SLOT_ENABLE_CPU_MEM_ARENA : SLOT_DISABLE_CPU_MEM_ARENA)(o), s->id, HOST_ERR_ORT, "CpuMemArena")) return 0;
  if (!arena && ort_failed(ORT_FN(fn_options_void, SLOT_DISABLE_MEM_PATTERN)(o), s->id, HOST_ERR_ORT, "DisableMemPattern")) return 0;
  if (intra && ort_failed(ORT_FN(fn_options_int, SLOT_SET_INTRA_OP_NUM_THREADS)(o, (int)intra), s->id, HOST_ERR_ORT, "SetIntraOpNumThreads")) return 0;
  if (inter && ort_failed(ORT_FN(fn_options_int, SLOT_SET_INTER_OP_NUM_THREADS)(o, (int)inter), s->id, HOST_ERR_ORT, "SetInterOpNumThreads")) return 0;
  if (ort_failed(ORT_FN(fn_options_int, SLOT_SET_SESSION_LOG_SEVERITY_LEVEL)(o, severity), s->id, HOST_ERR_ORT, "SetSessionLogSeverityLevel")) return 0;
  if (ort_failed(ORT_FN(fn_config_entry, SLOT_ADD_SESSION_CONFIG_ENTRY)(o, "session.intra_op.allow_spinning", spin_value), s->id, HOST_ERR_ORT, "AddSessionConfigEntry")) return 0;
  if (ort_failed(ORT_FN(fn_config_entry, SLOT_ADD_SESSION_CONFIG_ENTRY)(o, "session.inter_op.allow_spinning", spin_value), s->id, HOST_ERR_ORT, "AddSessionConfigEntry")) return 0;
  return 1;
}

/* one input's or output's description, CREATED's layout (frames.h) */
static int describe(session *s, int output, size_t i, buf *b) {
  char *name = NULL;
  ort_type_info *ti = NULL;
  fn_session_name get_name = ORT_FN(fn_session_name, output ? SLOT_SESSION_GET_OUTPUT_NAME : SLOT_SESSION_GET_INPUT_NAME);
  fn_session_type_info get_type = ORT_FN(fn_session_type_info, output ? SLOT_SESSION_GET_OUTPUT_TYPE_INFO : SLOT_SESSION_GET_INPUT_TYPE_INFO);
  if (ort_failed(get_name(s->s, i, g_alloc, &name), s->id, HOST_ERR_ORT, "SessionGetName")) return 0;
  size_t n = strlen(name);
  char *copy = (char *)malloc(n + 1);
  if (copy) memcpy(copy, name, n + 1);
  (output ? s->out_names : s->in_names)[i] = copy;
  g_alloc->free(g_alloc, name);
  if (!copy) return 0;
  if (ort_failed(get_type(s->s, i, &ti), s->id, HOST_ERR_ORT, "SessionGetTypeInfo")) return 0;
  const ort_tensor_info *tensor = NULL;
  ort_status *st = ORT_FN(fn_cast_to_tensor_info, SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO)(ti, &tensor);
  if (st) ORT_FN(fn_release, SLOT_RELEASE_STATUS)(st);
  put_le(b, n, 2);
  put(b, copy, n);
  int type = 0;
  size_t rank = 0;
  int64_t dims[16];
  const char *symbols[16];
  if (tensor) {
    if (ort_failed(ORT_FN(fn_tensor_element_type, SLOT_GET_TENSOR_ELEMENT_TYPE)(tensor, &type), s->id, HOST_ERR_ORT, "GetTensorElementType")) goto fail;
    if (ort_failed(ORT_FN(fn_dims_count, SLOT_GET_DIMENSIONS_COUNT)(tensor, &rank), s->id, HOST_ERR_ORT, "GetDimensionsCount")) goto fail;
    if (rank > 16) rank = 16; /* nothing the agent loads has more; the contract check then reports the rank */
    if (ort_failed(ORT_FN(fn_dims, SLOT_GET_DIMENSIONS)(tensor, dims, rank), s->id, HOST_ERR_ORT, "GetDimensions")) goto fail;
    if (ort_failed(ORT_FN(fn_symbolic_dims, SLOT_GET_SYMBOLIC_DIMENSIONS)(tensor, symbols, rank), s->id, HOST_ERR_ORT, "GetSymbolicDimensions")) goto fail;
  }
  put_u8(b, tensor ? 1 : 0);
  put_u8(b, (uint8_t)type);
  put_le(b, rank, 2);
  for (size_t d = 0; d < rank; d++) {
    size_t sl = dims[d] < 0 && symbols[d] ? strlen(symbols[d]) : 0;
    put_le(b, (uint64_t)dims[d], 8);
    put_le(b, sl, 2);
    put(b, symbols[d], sl);
  }
  ORT_FN(fn_release, SLOT_RELEASE_TYPE_INFO)(ti);
  return 1;
fail:
  ORT_FN(fn_release, SLOT_RELEASE_TYPE_INFO)(ti);
  return 0;
}

static void free_names(session *s) {
  for (size_t i = 0; s->in_names && i < s->n_in; i++) free(s->in_names[i]);
  for (size_t i = 0; s->out_names && i < s->n_out; i++) free(s->out_names[i]);
  free(s->in_names);
  free(s->out_names);
  s->in_names = s->out_names = NULL;
}

static int create(session *s) {
  reader r = {s->create_payload, s->create_len, 0};
  uint32_t intra, inter;
  uint8_t spin, arena, severity, plen;
  const uint8_t *pname, *model;
  char provider[256];
  int ok = 0;
  ort_session_options *o = NULL;
  if (!rd_u32(&r, &intra) || !rd_u32(&r, &inter) || !rd_u8(&r, &spin) || !rd_u8(&r, &arena) || !rd_u8(&r, &severity) || !rd_u8(&r, &plen) || !rd_bytes(&r, plen, &pname)) {
    send_error(s->id, HOST_ERR_BAD_FRAME, 0, "create frame shorter than its fixed part");
    goto done;
  }
  memcpy(provider, pname, plen);
  provider[plen] = 0;
  size_t model_len = r.len - r.at;
  rd_bytes(&r, model_len, &model);
  if (s->model) {
    if (model_len) {
      send_error(s->id, HOST_ERR_BAD_FRAME, 0, "create frame carries model bytes although its model came in parts");
      goto done;
    }
    model = s->model;
    model_len = (size_t)s->model_len;
  }
  if (severity > 4) severity = 4;
  if (ort_failed(ORT_FN(fn_create_session_options, SLOT_CREATE_SESSION_OPTIONS)(&o), s->id, HOST_ERR_ORT, "CreateSessionOptions")) goto done;
  if (!set_options(s, o, intra, inter, spin, arena, severity)) goto done;
  char what[300];
  snprintf(what, sizeof what, "execution provider %s is not available", provider);
  if (ort_failed(append_provider(o, provider), s->id, HOST_ERR_PROVIDER, what)) goto done;
  if (ort_failed(ORT_FN(fn_create_session_from_array, SLOT_CREATE_SESSION_FROM_ARRAY)(g_env, model, model_len, o, &s->s), s->id, HOST_ERR_ORT, "CreateSessionFromArray")) goto done;
  ok = 1;
done:
  if (o) ORT_FN(fn_release, SLOT_RELEASE_SESSION_OPTIONS)(o);
  /* the model's bytes are onnxruntime's own copy now: give ours back before anything else */
  free(s->create_payload);
  s->create_payload = NULL;
  free(s->model);
  s->model = NULL;
  return ok;
}

static int answer_created(session *s) {
  buf b = {0};
  if (ort_failed(ORT_FN(fn_session_count, SLOT_SESSION_GET_INPUT_COUNT)(s->s, &s->n_in), s->id, HOST_ERR_ORT, "SessionGetInputCount")) return 0;
  if (ort_failed(ORT_FN(fn_session_count, SLOT_SESSION_GET_OUTPUT_COUNT)(s->s, &s->n_out), s->id, HOST_ERR_ORT, "SessionGetOutputCount")) return 0;
  s->in_names = (char **)calloc(s->n_in ? s->n_in : 1, sizeof(char *));
  s->out_names = (char **)calloc(s->n_out ? s->n_out : 1, sizeof(char *));
  if (!s->in_names || !s->out_names) return 0;
  put_le(&b, s->n_in, 4);
  put_le(&b, s->n_out, 4);
  for (size_t i = 0; i < s->n_in; i++)
    if (!describe(s, 0, i, &b)) goto fail;
  for (size_t i = 0; i < s->n_out; i++)
    if (!describe(s, 1, i, &b)) goto fail;
  if (b.failed) goto fail;
  part p = {b.p, b.len};
  send_frame(FRAME_CREATED, s->id, &p, 1);
  free(b.p);
  return 1;
fail:
  free(b.p);
  return 0;
}

/* ------------------------------------------------------------------ run (session-run.c) and the thread */

void run_job(session *s, job *j);

static void release_session(session *s) {
  if (s->s) ORT_FN(fn_release, SLOT_RELEASE_SESSION)(s->s);
  s->s = NULL;
  free_names(s);
}

void session_thread(void *arg) {
  session *s = (session *)arg;
  if (!create(s)) {
    forget_session(s);
    return;
  }
  if (!answer_created(s)) {
    send_error(s->id, HOST_ERR_NO_MEMORY, 0, "could not describe the session's inputs and outputs");
    release_session(s);
    forget_session(s);
    return;
  }
  for (;;) {
    job *j = next_job(s);
    if (j->type == FRAME_RELEASE) {
      release_session(s);
      send_frame(FRAME_RELEASED, j->id, NULL, 0);
      free(j->payload);
      free(j);
      forget_session(s);
      return;
    }
    run_job(s, j);
    free(j->payload);
    free(j);
  }
}
