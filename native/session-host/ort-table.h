/*
 * The part of onnxruntime's C API this host calls, declared here in our own words (no onnxruntime header exists on
 * the build machines, and none is shipped by onnxruntime-node). onnxruntime exports one symbol, OrtGetApiBase; it
 * hands out a table of function pointers (OrtApi) whose layout only ever grows at the end, so a slot number learnt
 * once stays valid for every later version. We keep the table as an array of untyped pointers and name only the
 * slots we use, each cast to our own function type at the call. The slot numbers were counted from onnxruntime's
 * public API description and are checked at run time by test/integration/native-session-host.test.ts (it creates
 * an env, a session from bytes, reads names and types, runs the product's models and compares the outputs with
 * onnxruntime-node's on the same library).
 */
#ifndef RPA_ORT_TABLE_H
#define RPA_ORT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define ORTCALL __stdcall
#else
#define ORTCALL
#endif

/* opaque onnxruntime objects: only ever handled by pointer */
typedef struct ort_status ort_status;
typedef struct ort_env ort_env;
typedef struct ort_session ort_session;
typedef struct ort_session_options ort_session_options;
typedef struct ort_value ort_value;
typedef struct ort_memory_info ort_memory_info;
typedef struct ort_type_info ort_type_info;
typedef struct ort_tensor_info ort_tensor_info;
typedef struct ort_cuda_options ort_cuda_options;
/* onnxruntime's allocator is a struct whose first members are a version and Alloc/Free callbacks */
typedef struct ort_allocator {
  uint32_t version;
  void *(ORTCALL *alloc)(struct ort_allocator *self, size_t size);
  void(ORTCALL *free)(struct ort_allocator *self, void *p);
} ort_allocator;

/* the entry point's answer: two functions, GetApi(version) and GetVersionString() */
typedef struct ort_api_base {
  void *const *(ORTCALL *get_api)(uint32_t version);
  const char *(ORTCALL *get_version_string)(void);
} ort_api_base;
typedef const ort_api_base *(ORTCALL *ort_get_api_base_fn)(void);

/*
 * The API version we ask for: 13 (onnxruntime 1.13) has every slot below; any later library answers it with the same
 * table (slots are only appended), and returns NULL only when older than 13.
 */
#define RPA_ORT_API_VERSION 13u

/* slot numbers in the OrtApi table (0-based) */
enum rpa_ort_slot {
  SLOT_GET_ERROR_CODE = 1,
  SLOT_GET_ERROR_MESSAGE = 2,
  SLOT_CREATE_ENV = 3,
  SLOT_CREATE_SESSION_FROM_ARRAY = 8,
  SLOT_RUN = 9,
  SLOT_CREATE_SESSION_OPTIONS = 10,
  SLOT_SET_SESSION_EXECUTION_MODE = 13,
  SLOT_DISABLE_MEM_PATTERN = 17,
  SLOT_ENABLE_CPU_MEM_ARENA = 18,
  SLOT_DISABLE_CPU_MEM_ARENA = 19,
  SLOT_SET_SESSION_LOG_SEVERITY_LEVEL = 22,
  SLOT_SET_SESSION_GRAPH_OPTIMIZATION_LEVEL = 23,
  SLOT_SET_INTRA_OP_NUM_THREADS = 24,
  SLOT_SET_INTER_OP_NUM_THREADS = 25,
  SLOT_SESSION_GET_INPUT_COUNT = 30,
  SLOT_SESSION_GET_OUTPUT_COUNT = 31,
  SLOT_SESSION_GET_INPUT_TYPE_INFO = 33,
  SLOT_SESSION_GET_OUTPUT_TYPE_INFO = 34,
  SLOT_SESSION_GET_INPUT_NAME = 36,
  SLOT_SESSION_GET_OUTPUT_NAME = 37,
  SLOT_CREATE_TENSOR_WITH_DATA = 49,
  SLOT_GET_TENSOR_MUTABLE_DATA = 51,
  SLOT_CAST_TYPE_INFO_TO_TENSOR_INFO = 55,
  SLOT_GET_TENSOR_ELEMENT_TYPE = 60,
  SLOT_GET_DIMENSIONS_COUNT = 61,
  SLOT_GET_DIMENSIONS = 62,
  SLOT_GET_SYMBOLIC_DIMENSIONS = 63,
  SLOT_GET_TENSOR_TYPE_AND_SHAPE = 65,
  SLOT_CREATE_CPU_MEMORY_INFO = 69,
  SLOT_GET_ALLOCATOR_WITH_DEFAULT_OPTIONS = 78,
  SLOT_RELEASE_ENV = 92,
  SLOT_RELEASE_STATUS = 93,
  SLOT_RELEASE_MEMORY_INFO = 94,
  SLOT_RELEASE_SESSION = 95,
  SLOT_RELEASE_VALUE = 96,
  SLOT_RELEASE_TYPE_INFO = 98,
  SLOT_RELEASE_TENSOR_INFO = 99,
  SLOT_RELEASE_SESSION_OPTIONS = 100,
  SLOT_ADD_SESSION_CONFIG_ENTRY = 130,
  SLOT_GET_EXECUTION_PROVIDER_API = 195,
  SLOT_APPEND_EP_CUDA_V2 = 204,
  SLOT_CREATE_CUDA_OPTIONS = 205,
  SLOT_RELEASE_CUDA_OPTIONS = 208,
  SLOT_APPEND_EP_GENERIC = 216,
  SLOT_COUNT_USED = 217
};

/* our function types, one per call shape */
typedef int(ORTCALL *fn_status_code)(const ort_status *);
typedef const char *(ORTCALL *fn_status_message)(const ort_status *);
typedef ort_status *(ORTCALL *fn_create_env)(int level, const char *logid, ort_env **out);
typedef ort_status *(ORTCALL *fn_create_session_from_array)(const ort_env *, const void *data, size_t len, const ort_session_options *, ort_session **out);
typedef ort_status *(ORTCALL *fn_run)(ort_session *, const void *run_options, const char *const *in_names, const ort_value *const *inputs, size_t n_in,
                                      const char *const *out_names, size_t n_out, ort_value **outputs);
typedef ort_status *(ORTCALL *fn_create_session_options)(ort_session_options **out);
typedef ort_status *(ORTCALL *fn_options_int)(ort_session_options *, int value);
typedef ort_status *(ORTCALL *fn_options_void)(ort_session_options *);
typedef ort_status *(ORTCALL *fn_session_count)(const ort_session *, size_t *out);
typedef ort_status *(ORTCALL *fn_session_type_info)(const ort_session *, size_t index, ort_type_info **out);
typedef ort_status *(ORTCALL *fn_session_name)(const ort_session *, size_t index, ort_allocator *, char **out);
typedef ort_status *(ORTCALL *fn_create_tensor_with_data)(const ort_memory_info *, void *data, size_t len, const int64_t *shape, size_t rank, int type, ort_value **out);
typedef ort_status *(ORTCALL *fn_tensor_data)(ort_value *, void **out);
typedef ort_status *(ORTCALL *fn_cast_to_tensor_info)(const ort_type_info *, const ort_tensor_info **out);
typedef ort_status *(ORTCALL *fn_tensor_element_type)(const ort_tensor_info *, int *out);
typedef ort_status *(ORTCALL *fn_dims_count)(const ort_tensor_info *, size_t *out);
typedef ort_status *(ORTCALL *fn_dims)(const ort_tensor_info *, int64_t *out, size_t n);
typedef ort_status *(ORTCALL *fn_symbolic_dims)(const ort_tensor_info *, const char **out, size_t n);
typedef ort_status *(ORTCALL *fn_value_tensor_info)(const ort_value *, ort_tensor_info **out);
typedef ort_status *(ORTCALL *fn_create_cpu_memory_info)(int allocator_type, int mem_type, ort_memory_info **out);
typedef ort_status *(ORTCALL *fn_default_allocator)(ort_allocator **out);
typedef void(ORTCALL *fn_release)(void *);
typedef ort_status *(ORTCALL *fn_config_entry)(ort_session_options *, const char *key, const char *value);
typedef ort_status *(ORTCALL *fn_ep_api)(const char *provider, uint32_t version, const void **out);
typedef ort_status *(ORTCALL *fn_append_cuda_v2)(ort_session_options *, const ort_cuda_options *);
typedef ort_status *(ORTCALL *fn_create_cuda_options)(ort_cuda_options **out);
typedef ort_status *(ORTCALL *fn_append_generic)(ort_session_options *, const char *provider, const char *const *keys, const char *const *values, size_t n);
/* the DirectML extension table (GetExecutionProviderApi("DML")): its slot 0 appends DirectML on adapter `device_id` */
typedef ort_status *(ORTCALL *fn_append_dml)(ort_session_options *, int device_id);

/* onnxruntime's enum values we pass (tensor element types are listed in frames.h) */
#define ORT_LOG_WARNING 2
#define ORT_LOG_ERROR 3
#define ORT_SEQUENTIAL 0
#define ORT_OPTIMIZE_ALL 99
#define ORT_DEVICE_ALLOCATOR 0
#define ORT_MEM_TYPE_DEFAULT 0
#define ORT_ERROR_CODE_OK 0

#endif
