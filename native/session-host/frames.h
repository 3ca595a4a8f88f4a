/*
 * The native session host's framing (the TypeScript side: src/agent/inference/native-frames.ts; both sides change
 * together). Every frame, either way, is a 16-byte header, little-endian, then `length` payload bytes:
 *
 *   u32 magic 'RPAH' | u16 type | u16 reserved (0) | u32 id | u32 length
 *
 * Agent → host:
 *   CREATE  id = session id. u32 intra threads (0 = default) | u32 inter threads | u8 allow spinning | u8 cpu arena |
 *           u8 log severity | u8 provider name length | provider name | the model's bytes (the rest)
 *   RUN     id = run id. u32 session id | u32 input count | inputs (tensor layout below)
 *   RELEASE id = session id (answered after the session's queued runs); drops model parts sent for it and not taken
 *   MODEL_PART id = session id of the CREATE that follows. u64 the model's total length | u64 offset | bytes.
 *           A big model goes over in parts, so that RUN frames of the sessions already serving pass between them
 *           instead of waiting behind the whole model in the pipe (issue 17 §2). Parts of one id come in order
 *           (offset = the bytes received so far), nothing is answered for them; the CREATE that follows carries no
 *           model bytes of its own and takes the parts, once all `total` bytes came — else it is answered ERROR
 *           (HOST_ERR_BAD_FRAME) with why. Not answered, and never fatal for the stream: a bad part is reported by
 *           its CREATE. At most 4 models may be arriving in parts at once (a fifth is refused the same way).
 * Host → agent:
 *   READY    id 0. u32 protocol | u32 API version asked | onnxruntime version string (the rest)
 *   CREATED  id = session id. u32 inputs | u32 outputs | per value: u16 name length | name | u8 is tensor |
 *            u8 element type | u16 rank | per dim: i64 size (-1 symbolic) | u16 symbol length | symbol
 *   RESULT   id = run id. u32 output count | outputs (tensor layout)
 *   RELEASED id = session id
 *   ERROR    id = the request's id. u16 code (HOST_ERR_*) | u16 onnxruntime's error code | message (the rest)
 * A tensor: u16 name length | name | u8 element type | u8 reserved | u16 rank | i64 dims[rank] | u64 byte length |
 *           zero padding to a multiple of 8 from the payload's start | data
 * A malformed frame from the agent (bad magic, unknown type, a length past the limit, a payload that does not parse)
 * is answered by ERROR (HOST_ERR_BAD_FRAME) and, when the stream cannot be trusted any more, the host exits with
 * EXIT_BAD_FRAME.
 */
#ifndef RPA_FRAMES_H
#define RPA_FRAMES_H

#include <stdint.h>

#define FRAME_MAGIC 0x48415052u /* "RPAH" as little-endian bytes */
#define FRAME_HEADER_BYTES 16u
#define FRAME_PROTOCOL 2u
/* the largest payload accepted: a model of up to 1 GiB (the store's limit is lower) */
#define FRAME_MAX_PAYLOAD (1u << 30)

enum frame_type {
  FRAME_CREATE = 1,
  FRAME_RUN = 2,
  FRAME_RELEASE = 3,
  FRAME_MODEL_PART = 4,
  FRAME_READY = 100,
  FRAME_CREATED = 101,
  FRAME_RESULT = 102,
  FRAME_RELEASED = 103,
  FRAME_ERROR = 110
};

enum host_error {
  HOST_ERR_ORT = 1,          /* onnxruntime returned an error (its code follows) */
  HOST_ERR_BAD_FRAME = 2,    /* the request did not parse */
  HOST_ERR_NO_SESSION = 3,   /* no such session id (or it is being released) */
  HOST_ERR_BAD_TENSOR = 4,   /* an element type this host does not carry, or data that does not fit the shape */
  HOST_ERR_PROVIDER = 5,     /* the execution provider is not in this build or cannot start */
  HOST_ERR_DUPLICATE = 6,    /* a session with this id exists already */
  HOST_ERR_NO_MEMORY = 7
};

/* exit codes (sysexits.h values) */
#define EXIT_BAD_FRAME 65    /* EX_DATAERR: the agent sent a stream this host cannot read */
#define EXIT_NO_RUNTIME 69   /* EX_UNAVAILABLE: onnxruntime's library could not be loaded or is too old */
#define EXIT_IO 74           /* EX_IOERR: writing to the agent failed */

/* onnxruntime's tensor element types this host carries, with their sizes (0 = not carried: strings, complex) */
static inline unsigned element_size(unsigned type) {
  switch (type) {
    case 1: return 4;  /* float32 */
    case 2: return 1;  /* uint8 */
    case 3: return 1;  /* int8 */
    case 4: return 2;  /* uint16 */
    case 5: return 2;  /* int16 */
    case 6: return 4;  /* int32 */
    case 7: return 8;  /* int64 */
    case 9: return 1;  /* bool */
    case 10: return 2; /* float16 */
    case 11: return 8; /* float64 */
    case 12: return 4; /* uint32 */
    case 13: return 8; /* uint64 */
    default: return 0;
  }
}

#endif
