/*
 * The few operating-system calls the session host needs, for Linux/macOS (POSIX) and Windows: threads, a mutex and a
 * condition variable, loading onnxruntime's library, and raw reads and writes on the standard handles.
 */
#ifndef RPA_PLATFORM_H
#define RPA_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#include <io.h>
#include <fcntl.h>
typedef CRITICAL_SECTION plat_mutex;
typedef CONDITION_VARIABLE plat_cond;
static inline void plat_mutex_init(plat_mutex *m) { InitializeCriticalSection(m); }
static inline void plat_lock(plat_mutex *m) { EnterCriticalSection(m); }
static inline void plat_unlock(plat_mutex *m) { LeaveCriticalSection(m); }
static inline void plat_cond_init(plat_cond *c) { InitializeConditionVariable(c); }
static inline void plat_wait(plat_cond *c, plat_mutex *m) { SleepConditionVariableCS(c, m, INFINITE); }
static inline void plat_signal(plat_cond *c) { WakeAllConditionVariable(c); }
typedef struct { void (*fn)(void *); void *arg; } plat_thread_start;
static DWORD WINAPI plat_thread_main(LPVOID p) {
  plat_thread_start s = *(plat_thread_start *)p;
  HeapFree(GetProcessHeap(), 0, p);
  s.fn(s.arg);
  return 0;
}
/* starts a detached thread; 0 on success */
static inline int plat_thread(void (*fn)(void *), void *arg) {
  plat_thread_start *s = (plat_thread_start *)HeapAlloc(GetProcessHeap(), 0, sizeof *s);
  if (!s) return -1;
  s->fn = fn;
  s->arg = arg;
  HANDLE h = CreateThread(NULL, 0, plat_thread_main, s, 0, NULL);
  if (!h) {
    HeapFree(GetProcessHeap(), 0, s);
    return -1;
  }
  CloseHandle(h);
  return 0;
}
static inline void *plat_dlopen(const char *path) { return (void *)LoadLibraryA(path); }
static inline void *plat_dlsym(void *lib, const char *name) { return (void *)GetProcAddress((HMODULE)lib, name); }
static inline long plat_read(void *buf, size_t n) { return _read(0, buf, (unsigned)(n > 0x40000000u ? 0x40000000u : n)); }
static inline long plat_write(const void *buf, size_t n) { return _write(1, buf, (unsigned)(n > 0x40000000u ? 0x40000000u : n)); }
static inline void plat_stdio_binary(void) {
  _setmode(0, _O_BINARY);
  _setmode(1, _O_BINARY);
}
/* Windows: the agent holds the child in a job object or kills it; nothing to arm here */
static inline void plat_die_with_parent(void) {}
#else
#include <pthread.h>
#include <dlfcn.h>
#include <unistd.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
typedef pthread_mutex_t plat_mutex;
typedef pthread_cond_t plat_cond;
static inline void plat_mutex_init(plat_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void plat_lock(plat_mutex *m) { pthread_mutex_lock(m); }
static inline void plat_unlock(plat_mutex *m) { pthread_mutex_unlock(m); }
static inline void plat_cond_init(plat_cond *c) { pthread_cond_init(c, NULL); }
static inline void plat_wait(plat_cond *c, plat_mutex *m) { pthread_cond_wait(c, m); }
static inline void plat_signal(plat_cond *c) { pthread_cond_broadcast(c); }
typedef struct { void (*fn)(void *); void *arg; } plat_thread_start;
static void *plat_thread_main(void *p) {
  plat_thread_start s = *(plat_thread_start *)p;
  free(p);
  s.fn(s.arg);
  return NULL;
}
static inline int plat_thread(void (*fn)(void *), void *arg) {
  plat_thread_start *s = (plat_thread_start *)malloc(sizeof *s);
  if (!s) return -1;
  s->fn = fn;
  s->arg = arg;
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &a, plat_thread_main, s);
  pthread_attr_destroy(&a);
  if (rc != 0) free(s);
  return rc;
}
static inline void *plat_dlopen(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static inline void *plat_dlsym(void *lib, const char *name) { return dlsym(lib, name); }
static inline long plat_read(void *buf, size_t n) { return (long)read(0, buf, n); }
static inline long plat_write(const void *buf, size_t n) { return (long)write(1, buf, n); }
static inline void plat_stdio_binary(void) { signal(SIGPIPE, SIG_IGN); }
/*
 * Linux: end with the agent even when a run never returns (a stuck run does not read stdin, so it would never see
 * the pipe close): the kernel sends SIGKILL when the parent dies.
 */
static inline void plat_die_with_parent(void) {
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}
#endif

#endif
