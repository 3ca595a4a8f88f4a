/*
 * A RUN on a session's thread: the inputs are read in place from the frame (onnxruntime gets views of the payload,
 * no copy), every output of the session is asked for, and the answer is written from onnxruntime's own output
 * buffers (no copy either). Bad input (an element type not carried, data that does not fit its shape, a payload
 * that does not parse) is answered with a coded ERROR; it never ends the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"

#define MAX_TENSORS 64
#define MAX_RANK 16

typedef struct tensor_view {
  char *name;
  unsigned type;
  size_t rank;
  int64_t dims[MAX_RANK];
  const uint8_t *data;
  uint64_t bytes;
} tensor_view;

/* the byte size of a shape of `type`; 0 with *ok = 0 when a dim is negative or the size overflows */
static uint64_t shape_bytes(unsigned type, const int64_t *dims, size_t rank, int *ok) {
  uint64_t n = element_size(type);
  *ok = n != 0;
  for (size_t d = 0; d < rank && *ok; d++) {
    if (dims[d] < 0 || (dims[d] > 0 && n > UINT64_MAX / (uint64_t)dims[d])) *ok = 0;
    else n *= (uint64_t)dims[d];
  }
  return *ok ? n : 0;
}

/* reads one tensor (frames.h layout); a message for the agent when it does not parse */
static const char *read_tensor(reader *r, tensor_view *t) {
  uint16_t nlen, rank;
  uint8_t type, reserved;
  const uint8_t *name;
  if (!rd_u16(r, &nlen) || !rd_bytes(r, nlen, &name) || !rd_u8(r, &type) || !rd_u8(r, &reserved) || !rd_u16(r, &rank)) return "tensor header cut short";
  if (rank > MAX_RANK) return "tensor rank over 16";
  t->rank = rank;
  for (size_t d = 0; d < rank; d++)
    if (!rd_i64(r, &t->dims[d])) return "tensor dims cut short";
  int64_t bytes;
  if (!rd_i64(r, &bytes)) return "tensor byte length missing";
  t->type = type;
  t->bytes = (uint64_t)bytes;
  int ok;
  uint64_t want = shape_bytes(type, t->dims, rank, &ok);
  if (!ok) return element_size(type) ? "tensor shape invalid (negative or too large)" : "tensor element type not carried by this host";
  if (want != t->bytes) return "tensor data length does not match its shape";
  size_t pad = (8 - r->at % 8) % 8;
  const uint8_t *skip;
  if (!rd_bytes(r, pad, &skip) || t->bytes > r->len - r->at) return "tensor data cut short";
  rd_bytes(r, (size_t)t->bytes, &t->data);
  t->name = (char *)malloc((size_t)nlen + 1);
  if (!t->name) return "out of memory";
  memcpy(t->name, name, nlen);
  t->name[nlen] = 0;
  return NULL;
}

static void le(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* writes RESULT from the outputs (frames.h layout); false with an ERROR sent when an output cannot be carried */
static int answer(session *s, uint32_t id, ort_value **outs) {
  size_t n = s->n_out;
  part *parts = (part *)calloc(2 * n + 1, sizeof(part));
  uint8_t *meta = (uint8_t *)calloc(n ? n : 1, 2 + 256 + 4 + 8 * MAX_RANK + 8 + 8);
  uint8_t count[4];
  int ok = parts && meta;
  size_t offset = 4; /* the payload's running length, for the data's alignment */
  le(count, n, 4);
  if (ok) parts[0] = (part){count, 4};
  for (size_t i = 0; ok && i < n; i++) {
    ort_tensor_info *info = NULL;
    int type = 0;
    size_t rank = 0;
    int64_t dims[MAX_RANK];
    void *data = NULL;
    if (ort_failed(ORT_FN(fn_value_tensor_info, SLOT_GET_TENSOR_TYPE_AND_SHAPE)(outs[i], &info), id, HOST_ERR_BAD_TENSOR, "an output is not a tensor")) return free(parts), free(meta), 0;
    ort_status *st = ORT_FN(fn_tensor_element_type, SLOT_GET_TENSOR_ELEMENT_TYPE)(info, &type);
    if (!st) st = ORT_FN(fn_dims_count, SLOT_GET_DIMENSIONS_COUNT)(info, &rank);
    if (!st && rank <= MAX_RANK) st = ORT_FN(fn_dims, SLOT_GET_DIMENSIONS)(info, dims, rank);
    ORT_FN(fn_release, SLOT_RELEASE_TENSOR_INFO)(info);
    if (ort_failed(st, id, HOST_ERR_ORT, "output shape")) return free(parts), free(meta), 0;
    int fits;
    uint64_t bytes = shape_bytes((unsigned)type, dims, rank, &fits);
    const char *name = s->out_names[i];
    size_t nlen = strlen(name);
    if (!fits || rank > MAX_RANK || nlen > 255) {
      send_error(id, HOST_ERR_BAD_TENSOR, 0, "an output's element type or shape is not carried by this host (strings, rank over 16)");
      return free(parts), free(meta), 0;
    }
    if (bytes && ort_failed(ORT_FN(fn_tensor_data, SLOT_GET_TENSOR_MUTABLE_DATA)(outs[i], &data), id, HOST_ERR_ORT, "output data")) return free(parts), free(meta), 0;
    uint8_t *m = meta + i * (2 + 256 + 4 + 8 * MAX_RANK + 8 + 8);
    size_t at = 0;
    le(m, nlen, 2), at += 2;
    memcpy(m + at, name, nlen), at += nlen;
    m[at++] = (uint8_t)type;
    m[at++] = 0;
    le(m + at, rank, 2), at += 2;
    for (size_t d = 0; d < rank; d++) le(m + at, (uint64_t)dims[d], 8), at += 8;
    le(m + at, bytes, 8), at += 8;
    size_t pad = (8 - (offset + at) % 8) % 8;
    memset(m + at, 0, pad), at += pad;
    offset += at + (size_t)bytes;
    parts[1 + 2 * i] = (part){m, at};
    parts[2 + 2 * i] = (part){data, (size_t)bytes};
  }
  if (!ok) {
    send_error(id, HOST_ERR_NO_MEMORY, 0, "out of memory");
    return free(parts), free(meta), 0;
  }
  if (offset > FRAME_MAX_PAYLOAD) {
    send_error(id, HOST_ERR_BAD_TENSOR, 0, "outputs larger than a frame");
    return free(parts), free(meta), 0;
  }
  send_frame(FRAME_RESULT, id, parts, 2 * n + 1);
  free(parts);
  free(meta);
  return 1;
}

void run_job(session *s, job *j) {
  reader r = {j->payload, j->len, 0};
  uint32_t sid, n_in;
  tensor_view views[MAX_TENSORS];
  ort_value *values[MAX_TENSORS];
  const char *names[MAX_TENSORS];
  size_t n = 0;
  memset(values, 0, sizeof values);
  ort_value **outs = (ort_value **)calloc(s->n_out ? s->n_out : 1, sizeof(ort_value *));
  if (!outs) {
    send_error(j->id, HOST_ERR_NO_MEMORY, 0, "out of memory");
    return;
  }
  rd_u32(&r, &sid);
  rd_u32(&r, &n_in);
  if (n_in > MAX_TENSORS) {
    send_error(j->id, HOST_ERR_BAD_FRAME, 0, "more than 64 inputs");
    goto done;
  }
  for (; n < n_in; n++) {
    memset(&views[n], 0, sizeof views[n]);
    const char *bad = read_tensor(&r, &views[n]);
    if (bad) {
      free(views[n].name);
      send_error(j->id, strstr(bad, "element type") || strstr(bad, "shape") || strstr(bad, "match") ? HOST_ERR_BAD_TENSOR : HOST_ERR_BAD_FRAME, 0, bad);
      goto done;
    }
    names[n] = views[n].name;
    /* onnxruntime only reads inputs; the view points into the frame, which lives until this run is answered */
    if (ort_failed(ORT_FN(fn_create_tensor_with_data, SLOT_CREATE_TENSOR_WITH_DATA)(g_cpu, (void *)views[n].data, (size_t)views[n].bytes, views[n].dims, views[n].rank,
                                                                                    (int)views[n].type, &values[n]),
                   j->id, HOST_ERR_BAD_TENSOR, views[n].name)) {
      n++;
      goto done;
    }
  }
  if (r.at != r.len) {
    send_error(j->id, HOST_ERR_BAD_FRAME, 0, "run frame has bytes past its last input");
    goto done;
  }
  if (ort_failed(ORT_FN(fn_run, SLOT_RUN)(s->s, NULL, names, (const ort_value *const *)values, n, (const char *const *)s->out_names, s->n_out, outs), j->id, HOST_ERR_ORT, "Run"))
    goto done;
  answer(s, j->id, outs);
done:
  for (size_t i = 0; i < s->n_out; i++)
    if (outs[i]) ORT_FN(fn_release, SLOT_RELEASE_VALUE)(outs[i]);
  free(outs);
  for (size_t i = 0; i < n; i++) {
    if (values[i]) ORT_FN(fn_release, SLOT_RELEASE_VALUE)(values[i]);
    free(views[i].name);
  }
}
