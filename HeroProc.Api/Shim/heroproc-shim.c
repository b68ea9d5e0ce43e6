/*
 * heroproc-shim: runs one attempt of one HeroProc job, decoupled from the server.
 *
 *   heroproc-shim FILES STOP_SIGNAL STOP_TIMEOUT_SECS CWD -- ARGV...   one attempt (by hand, for debugging)
 *   heroproc-shim --serve DATA_DIR                                    the server's launcher (below)
 *
 * Why a shim (see README, "How jobs run"): the server must be able to crash without killing the job
 * or losing its output and exit status, and stop must reach every process the job started. So the shim:
 *   - starts its own session (setsid) and becomes a child subreaper, so double-forked daemons stay
 *     under it and can be killed when the job ends;
 *   - runs the job in its own process group (pgid = job pid) with every signal disposition reset to
 *     default and an empty signal mask (the .NET runtime ignores SIGPIPE; sh ignores INT/QUIT for
 *     background jobs; both would leak into the job otherwise);
 *   - owns the job's stdout/stderr pipes and copies them into spool segments FILES.spool.N, each record
 *     stamped with the time it was read; the server ingests and deletes segments, and the shim stops
 *     reading (so the job blocks) while too many segments wait, which bounds the spool;
 *   - on SIGTERM (from the server) sends STOP_SIGNAL to the job's group, then SIGKILL after
 *     STOP_TIMEOUT_SECS;
 *   - records its pid, the job's pid and at the end the exit status (code or signal, kept apart) in
 *     FILES.state.
 *
 * The launcher (--serve): the server starts one, and asks it for each attempt instead of starting a
 * program per job. It forks a shim per request, so a job costs one fork of this small process instead
 * of an exec of the shim (dynamic loading, and CPU feature probing that traps in a VM) plus a spawn from
 * the server's large .NET process: together, about a millisecond of CPU per job. Each forked shim is a
 * shim exactly as above, in a session of its own: it outlives the launcher and the server alike.
 *   requests on stdin:  "LENGTH\n" then LENGTH bytes of NUL-terminated fields:
 *                       ID FILES STOP_SIGNAL STOP_TIMEOUT_SECS CWD ARGC ARGV... ENVC ENV...
 *   reports on stdout, one line each (a single write, so lines from many shims never interleave):
 *                       "forked ID SHIM_PID" (from the launcher, in any order with the shim's own report),
 *                       "ready ID SHIM_PID SHIM_START JOB_PID JOB_START", "error ID SHIM_PID MESSAGE",
 *                       and "exit SHIM_PID" once the launcher has reaped a shim.
 * The launcher exits when its stdin closes (the server is gone); the shims it started run on.
 *
 * FILES is a path prefix (the server's attempts/ID-N): the shim writes FILES.state and FILES.spool.N.
 * FILES.state holds one line per fact, each appended with a single write and complete only with its
 * newline: "shim PID STARTTIME", then "job PID STARTTIME", then "exit N", "signal N" or "error MESSAGE".
 * One file that grows, and a spool only once there is output: on ext4 without a journal (this machine),
 * creating a file costs a scan past every inode deleted in the last minutes, so a job creates as few as it can.
 * FILES.state is usually there already, empty: a spare the server renamed into place (see SpareFiles.cs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEGMENT_BYTES (4L * 1024 * 1024)   /* a new spool segment after this many bytes */
#define MAX_WAITING_SEGMENTS 16            /* at most 64 MiB not yet ingested */
#define READ_CHUNK (64 * 1024)

struct record_header {  /* little-endian, 16 bytes; followed by `length` bytes of output */
    int64_t unix_ms;
    uint32_t length;
    uint8_t stream;     /* 1 stdout, 2 stderr */
    uint8_t reserved[3];
};

static const char *files;   /* the path prefix of this attempt's files */
static int state_fd = -1;
static char spool_path[PATH_MAX];
static int spool_fd = -1;
static long segment = 0, oldest_waiting = 0, segment_bytes = 0;
static pid_t job;
static int job_status = 0, job_ended = 0;
static sigset_t not_default;  /* see find_changed_signals */

/* Every reap goes through here, so the job's own status is never lost to another wait. */
static void reaped(pid_t pid, int status) {
    if (pid == job && !job_ended) {
        job_ended = 1;
        job_status = status;
    }
}

/* Where the shim reports its start ("ready ...") or why it could not start ("error ..."), and the
 * request id that prefixes the report. */
static int report_fd = STDOUT_FILENO;
static const char *request_id = "0";

/* One line in one write(): on the launcher's pipe, lines of concurrent shims must not interleave. */
static void report(const char *fmt, ...) {
    char line[1200];
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(line, sizeof line - 1, fmt, args);
    va_end(args);
    if (length < 0) return;
    if (length > (int)sizeof line - 2) length = (int)sizeof line - 2;
    for (int i = 0; i < length; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';  /* the server reads lines; \r ends one for it too */
    line[length++] = '\n';
    if (write(report_fd, line, (size_t)length) < 0) { /* the server is gone: nobody to tell */ }
}

static void die(const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    report("error %s %d %s", request_id, getpid(), message);
    _exit(2);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot; with the pid, the identity of a process. */
static unsigned long long start_time(pid_t pid) {
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return 0;
    buffer[n] = 0;
    char *p = strrchr(buffer, ')');   /* the command name may hold spaces and parentheses */
    if (!p) return 0;
    unsigned long long value = 0;
    /* after ")": field 3 is state; field 22 is 20 fields further */
    for (int field = 3; field <= 22 && p; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 22) value = strtoull(p + 1, NULL, 10);
    }
    return value;
}

/* Appends one line to FILES.state in a single write: a reader sees it whole (with its newline) or not at all.
 * Nothing here is fsynced: these files matter only within one boot (the server reads them after its own
 * crash, when the page cache still holds them; after a reboot every job is gone, and the server records
 * it lost without reading them), so a disk sync would only slow every job down. */
static void append_state(const char *line) {
    size_t length = strlen(line);
    if (state_fd >= 0 && write(state_fd, line, length) != (ssize_t)length) { /* reported as no status */ }
}

/* Opens the next spool segment. A failure (disk full, no inodes) drops output from then on: the shim must
 * never exit while its job lives, or the job would run on unsupervised. */
static void open_segment(void) {
    if (spool_fd >= 0) close(spool_fd);
    snprintf(spool_path, sizeof spool_path, "%s.spool.%ld", files, segment);
    spool_fd = open(spool_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    segment_bytes = 0;
}

/* True while too many segments wait for the server: the shim then stops reading, so the job blocks. */
static int spool_full(void) {
    char path[PATH_MAX];
    while (oldest_waiting < segment) {
        snprintf(path, sizeof path, "%s.spool.%ld", files, oldest_waiting);
        if (access(path, F_OK) == 0) break;
        oldest_waiting++;
    }
    return segment - oldest_waiting >= MAX_WAITING_SEGMENTS;
}

static void spool(int stream, const char *data, size_t length) {
    static int opened = 0;
    struct record_header header = { now_ms(), (uint32_t)length, (uint8_t)stream, {0, 0, 0} };
    struct iovec parts[2] = { { &header, sizeof header }, { (void *)data, length } };
    ssize_t expected = (ssize_t)(sizeof header + length), written;
    if (!opened) { opened = 1; open_segment(); }  /* a job without output has no spool file at all */
    if (spool_fd < 0) return;
    while ((written = writev(spool_fd, parts, 2)) < 0 && errno == EINTR) {}
    if (written != expected) {
        /* Disk full or similar: this output is lost, not the job. Never leave half a record behind. */
        if (written > 0 && ftruncate(spool_fd, segment_bytes) < 0) { close(spool_fd); spool_fd = -1; }
        return;
    }
    segment_bytes += written;
    if (segment_bytes >= SEGMENT_BYTES) { segment++; open_segment(); }
}

/* Appends the pids of the shim's children to `pids`; reads /proc/PID/task/PID/children, or scans /proc. */
static int list_children(pid_t *pids, int capacity) {
    int count = 0;
    char path[300], buffer[65536];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buffer, sizeof buffer - 1);
        close(fd);
        buffer[n > 0 ? n : 0] = 0;
        for (char *token = strtok(buffer, " \n"); token && count < capacity; token = strtok(NULL, " \n"))
            pids[count++] = (pid_t)atoi(token);
        return count;
    }
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    while (proc && (entry = readdir(proc)) && count < capacity) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *stat = fopen(path, "re");
        if (!stat) continue;
        int ppid = 0;
        if (fgets(buffer, sizeof buffer, stat)) {
            char *p = strrchr(buffer, ')');
            if (p) sscanf(p + 2, "%*c %d", &ppid);
        }
        fclose(stat);
        if (ppid == getpid()) pids[count++] = (pid_t)atoi(entry->d_name);
    }
    if (proc) closedir(proc);
    return count;
}

/* Kills every process left under the shim: the job's group, then any descendant that escaped it
 * (a double-forked daemon is re-parented to the shim, its subreaper), until none is left. */
static void kill_everything(void) {
    kill(-job, SIGKILL);
    pid_t children[4096];
    int count, status;
    pid_t pid;
    /* Re-list after every reap: a grandchild in its own session is re-parented to the shim while we
     * wait, and must be killed too before the wait can end. */
    while ((count = list_children(children, 4096)) > 0) {
        for (int i = 0; i < count; i++) {
            kill(-children[i], SIGKILL);
            kill(children[i], SIGKILL);
        }
        if ((pid = waitpid(-1, &status, 0)) > 0) reaped(pid, status);
        else if (errno == ECHILD) break;
    }
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) reaped(pid, status);
}

extern char **environ;

/* Starts the job as the shim's child, in a process group of its own, with default signal dispositions, an
 * empty signal mask, its output into the pipes, in its working directory. vfork: the child borrows the shim's
 * memory until its exec (a fork copied the page tables and faulted pages in for a child that throws them away),
 * and the shim resumes once the exec has succeeded or failed. Not posix_spawn: glibc's child queries and
 * resets all 64 signals, a third of a shim's own CPU; this one resets the few not at their default. execvp
 * runs a file without "#!" with /bin/sh, and searches the job's PATH from its working directory, as a shell
 * would. Returns the child's pid (or -1, with errno); `child_error` is set when its exec failed. */
static pid_t start_job(const char *cwd, char **job_argv, int out_fd, int err_fd, volatile int *child_error, volatile int *in_cwd) {
    sigset_t none;
    sigemptyset(&none);
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    pid_t pid = vfork();
    if (pid == 0) {
        setpgid(0, 0);
        for (int sig = 1; sig < NSIG; sig++)
            if (sigismember(&not_default, sig) == 1) sigaction(sig, &default_action, NULL);
        dup2(out_fd, STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        if (cwd[0] && chdir(cwd) < 0) {
            *child_error = errno;
            *in_cwd = 0;
            _exit(127);
        }
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(job_argv[0], job_argv);  /* the job's environment is the shim's (set by the launcher) */
        *child_error = errno;
        _exit(127);
    }
    return pid;
}

/* Starts the job (start_job); writes a message to `message` and returns nonzero when it could not start. */
static int spawn_job(const char *cwd, char **job_argv, int out_fd, int err_fd, char *message, size_t size) {
    /* Set by the child, in the memory it shares with the shim until its exec, when it cannot get there. */
    volatile int child_error = 0, in_cwd = 1;
    pid_t pid = start_job(cwd, job_argv, out_fd, err_fd, &child_error, &in_cwd);
    int error = pid < 0 ? errno : child_error;
    if (error == 0) {
        job = pid;
        return 0;
    }
    if (pid > 0) waitpid(pid, NULL, 0);
    if (!in_cwd) snprintf(message, size, "cannot enter working directory %s: %s", cwd, strerror(error));
    else if (pid < 0) snprintf(message, size, "cannot start the job: vfork: %s", strerror(error));
    else snprintf(message, size, "cannot execute %s: %s", job_argv[0], strerror(error));
    for (char *c = message; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';  /* one line in the state file */
    return 1;
}

/* Runs one attempt to its end; returns the shim's exit code. stdin and stderr become /dev/null. */
static int run_shim(int stop_signal, double stop_timeout, const char *cwd, char **job_argv) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDERR_FILENO);
    if (setsid() < 0) die("setsid: %s", strerror(errno));
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));

    char line[128], state_path[PATH_MAX];
    snprintf(state_path, sizeof state_path, "%s.state", files);
    /* Not O_TRUNC: the server places an empty file. On ext4 a truncation to zero makes the next close of the
     * file write its data out at once (auto_da_alloc): that flush was a third of a shim's CPU. */
    state_fd = open(state_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (state_fd < 0) die("cannot create %s: %s", state_path, strerror(errno));
    struct stat state_stat;
    if (fstat(state_fd, &state_stat) == 0 && state_stat.st_size > 0 && ftruncate(state_fd, 0) < 0)
        die("cannot empty %s: %s", state_path, strerror(errno));
    unsigned long long shim_start = start_time(getpid());
    snprintf(line, sizeof line, "shim %d %llu\n", getpid(), shim_start);
    append_state(line);

    /* Signals arrive through a signalfd, so the loop below sees them in order with the output. */
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    sigaddset(&handled, SIGCHLD);
    sigprocmask(SIG_BLOCK, &handled, NULL);
    signal(SIGPIPE, SIG_IGN);
    int signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0) die("signalfd: %s", strerror(errno));

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        die("pipe: %s", strerror(errno));
    char message[1024];
    int failed = spawn_job(cwd, job_argv, out[1], err[1], message, sizeof message);
    close(out[1]);
    close(err[1]);
    if (failed) {
        char status[1100];
        snprintf(status, sizeof status, "error %s\n", message);
        append_state(status);
        report("error %s %d %s", request_id, getpid(), message);
        return 0;
    }

    unsigned long long job_start = start_time(job);
    snprintf(line, sizeof line, "job %d %llu\n", job, job_start);
    append_state(line);
    report("ready %s %d %llu %d %llu", request_id, getpid(), shim_start, job, job_start);
    /* From now on the shim talks through its files only. */
    if (report_fd == STDOUT_FILENO) dup2(null_fd, STDOUT_FILENO);
    else close(report_fd);

    struct pollfd fds[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 }, { signal_fd, POLLIN, 0 } };
    int open_pipes = 2;
    double kill_at = 0;
    static char buffer[READ_CHUNK];

    while (open_pipes > 0 || !job_ended) {
        int full = spool_full();
        fds[0].events = fds[1].events = full ? 0 : POLLIN;
        int timeout = full ? 20 : -1;
        if (kill_at > 0) {
            int until_kill = (int)((kill_at - monotonic_s()) * 1000) + 1;
            timeout = timeout < 0 || until_kill < timeout ? (until_kill < 0 ? 0 : until_kill) : timeout;
        }
        if (poll(fds, 3, timeout) < 0) {
            /* Never leave the loop while the job may live: that would report a status it does not have. */
            if (errno != EINTR) usleep(10000);
            continue;
        }

        if (kill_at > 0 && monotonic_s() >= kill_at) {
            kill_everything();
            kill_at = 0;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                spool(i + 1, buffer, (size_t)got);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_pipes--;
            }
        }
        if (fds[2].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(signal_fd, &info, sizeof info) == sizeof info) {
                if (info.ssi_signo == SIGCHLD) {
                    int status;
                    pid_t pid;
                    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) reaped(pid, status);
                    if (job_ended) {
                        /* The job is over: whatever it left behind goes now, so its pipes reach EOF. */
                        kill_everything();
                        kill_at = 0;
                    }
                } else if (!job_ended && kill_at == 0) {
                    kill(-job, stop_signal);
                    if (stop_signal != SIGCONT) kill(-job, SIGCONT);  /* a stopped job must wake to die */
                    kill_at = monotonic_s() + stop_timeout;
                }
            }
        }
    }

    if (spool_fd >= 0) close(spool_fd);
    if (WIFSIGNALED(job_status))
        snprintf(line, sizeof line, "signal %d\n", WTERMSIG(job_status));
    else
        snprintf(line, sizeof line, "exit %d\n", WEXITSTATUS(job_status));
    append_state(line);
    return 0;
}

/* The signals whose disposition here is not the default (ignored, which an exec keeps, or handled): each job
 * gets them back to default. Found once at the start: resetting all 64 at every spawn was 6 % of a shim's CPU. */
static void find_changed_signals(void) {
    sigemptyset(&not_default);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction current;
        if (sigaction(sig, NULL, &current) == 0 && current.sa_handler != SIG_DFL) sigaddset(&not_default, sig);
    }
    sigaddset(&not_default, SIGPIPE);  /* ignored by the launcher and the shim themselves */
}

/* ---- The launcher (--serve) ---- */

static int launcher_signal_fd = -1;
static char *arg_area;          /* the launcher's command line, as /proc/PID/cmdline shows it */
static size_t arg_area_length;

/* A forked shim shows as "heroproc-shim FILES" in ps, not as a copy of the launcher: a `pkill -f --serve`
 * aimed at the launcher must not stop every job. The text is cut to the launcher's own command line. */
static void rename_command_line(void) {
    char name[PATH_MAX + 32];
    int length = snprintf(name, sizeof name, "heroproc-shim %s", files);
    if (length < 0 || arg_area_length == 0) return;
    memset(arg_area, 0, arg_area_length);
    memcpy(arg_area, name, (size_t)length < arg_area_length - 1 ? (size_t)length : arg_area_length - 1);
}

/* Forks the shim of one request (see the protocol at the top). The child owns a copy of the request's
 * memory, so the launcher may reuse its buffer as soon as fork returns. */
static void launch(char *payload, size_t length) {
    size_t count = 0;
    for (size_t i = 0; i < length; i++) count += payload[i] == 0;
    char **fields = calloc(count + 1, sizeof *fields);
    if (!fields) { report("error 0 0 out of memory"); return; }
    for (size_t i = 0, start = 0, n = 0; i < length; i++)
        if (payload[i] == 0) { fields[n++] = payload + start; start = i + 1; }
    const char *id = count > 0 ? fields[0] : "0";
    long argc = count > 6 ? atol(fields[5]) : -1;
    long envc = argc > 0 && (size_t)argc + 7 <= count ? atol(fields[6 + argc]) : -1;
    if (argc < 1 || envc < 0 || (size_t)(argc + envc + 7) != count) {
        report("error %s 0 malformed launch request", id);
        free(fields);
        return;
    }
    /* argv and env each need a terminating NULL: both are copied out of `fields`. */
    char **job_argv = calloc((size_t)argc + 1, sizeof *job_argv);
    char **job_env = calloc((size_t)envc + 1, sizeof *job_env);
    if (!job_argv || !job_env) {
        report("error %s 0 out of memory", id);
        free(fields); free(job_argv); free(job_env);
        return;
    }
    memcpy(job_argv, fields + 6, (size_t)argc * sizeof *job_argv);
    memcpy(job_env, fields + 7 + argc, (size_t)envc * sizeof *job_env);

    pid_t pid = fork();
    if (pid == 0) {
        close(launcher_signal_fd);
        prctl(PR_SET_NAME, "heroproc-shim");
        /* Reports go to the launcher's stdout, kept away from fd 1 so the job never inherits it. */
        report_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null_fd, STDOUT_FILENO);
        request_id = id;
        files = fields[1];
        rename_command_line();
        environ = job_env;  /* the job's environment, which spawn_job passes on */
        _exit(run_shim(atoi(fields[2]), atof(fields[3]), fields[4], job_argv));
    }
    if (pid < 0) report("error %s 0 fork: %s", id, strerror(errno));
    else report("forked %s %d", id, pid);  /* before this shim's "exit": the server can tell a shim that died unstarted */
    free(fields); free(job_argv); free(job_env);
}

/* Reads launch requests until stdin closes, forking a shim for each, and reports every shim it reaps. */
static int serve(void) {
    setsid();  /* a Ctrl-C meant for the server's terminal must not reach the launcher */
    prctl(PR_SET_NAME, "heroproc-launch");
    signal(SIGPIPE, SIG_IGN);
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child, NULL);
    launcher_signal_fd = signalfd(-1, &child, SFD_CLOEXEC | SFD_NONBLOCK);
    if (launcher_signal_fd < 0) { perror("signalfd"); return 1; }

    size_t used = 0, capacity = 1 << 16;
    char *buffer = malloc(capacity);
    if (!buffer) return 1;
    struct pollfd fds[2] = { { STDIN_FILENO, POLLIN, 0 }, { launcher_signal_fd, POLLIN, 0 } };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(launcher_signal_fd, &info, sizeof info) == sizeof info) {}
            int status;
            pid_t pid;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0) report("exit %d", pid);
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (capacity - used < (1 << 16)) {
            char *grown = realloc(buffer, capacity *= 2);
            if (!grown) return 1;
            buffer = grown;
        }
        ssize_t got = read(STDIN_FILENO, buffer + used, capacity - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return 0;  /* the server is gone; its jobs' shims run on, and re-parent to init */
        used += (size_t)got;
        for (;;) {
            char *newline = memchr(buffer, '\n', used);
            if (!newline) break;
            size_t header = (size_t)(newline - buffer) + 1, length = strtoul(buffer, NULL, 10);
            if (used < header + length) break;
            launch(buffer + header, length);
            memmove(buffer, buffer + header + length, used - header - length);
            used -= header + length;
        }
    }
}

int main(int argc, char **argv) {
    find_changed_signals();
    if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
        arg_area = argv[0];
        arg_area_length = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
        return serve();
    }
    if (argc < 7 || strcmp(argv[5], "--") != 0) {
        fprintf(stderr, "usage: heroproc-shim FILES STOP_SIGNAL STOP_TIMEOUT_SECS CWD -- ARGV...\n"
                        "       heroproc-shim --serve DATA_DIR\n");
        return 2;
    }
    files = argv[1];
    return run_shim(atoi(argv[2]), atof(argv[3]), argv[4], argv + 6);
}
