/*
 * /init of the ehtrace test VM (statically linked, PID 1 in the guest).
 *
 * Mounts proc, sysfs, devtmpfs, a tmpfs on /tmp and tracefs, then runs each
 * test binary in turn: those named after "--" on the kernel command line,
 * otherwise the lines of /tests/list ("<path> [args...]", '#' comments).
 * When the kernel has networking, it brings up lo and, when qemu gave the
 * guest a network card (run-in-vm --net), eth0 as 10.0.2.15/24 with a
 * default route through 10.0.2.2: qemu's user-mode network, where 10.0.2.2
 * is the host's 127.0.0.1.
 * For every binary it prints one line on the console:
 *
 *     EHTRACE-VM-RESULT <name> <status>
 *
 * where <status> is the exit code, or 128 + signal number when the test was
 * killed by a signal. After the last one it prints
 *
 *     EHTRACE-VM-DONE <failed> <total>
 *
 * and leaves qemu through the isa-debug-exit device at port 0xf4 (qemu then
 * exits with (value << 1) | 1; vm/run-in-vm parses the lines above instead).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_TESTS 64
#define MAX_ARGS 32
#define DEBUG_EXIT_PORT 0xf4

static void say(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    /* Unbuffered, so the lines interleave correctly with the tests' output. */
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
        if (w <= 0) break;
        off += w;
    }
}

static void mount_or_warn(const char* type, const char* target, unsigned long flags, const char* data) {
    if (mkdir(target, 0755) != 0 && errno != EEXIST) say("init: mkdir %s: %s\n", target, strerror(errno));
    if (mount(type, target, type, flags, data) != 0 && errno != EBUSY)
        say("init: mount %s on %s: %s\n", type, target, strerror(errno));
}

static void leave_qemu(int code) {
    /* The serial driver transmits from a buffer, by interrupt: wait until it
     * is empty, or qemu exits with the last lines (or more) unsent. */
    tcdrain(STDOUT_FILENO);
    sync();
    if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0) {
        outb((unsigned char)code, DEBUG_EXIT_PORT);
    } else {
        say("init: ioperm: %s\n", strerror(errno));
    }
    /* No isa-debug-exit device: with -no-reboot a reboot ends qemu too. */
    reboot(RB_AUTOBOOT);
    for (;;) pause();
}

/* qemu's user-mode network (slirp): the guest's fixed address, the host. */
#define GUEST_ADDRESS "10.0.2.15"
#define GUEST_NETMASK "255.255.255.0"
#define HOST_GATEWAY "10.0.2.2"

static void set_ipv4(struct sockaddr* sa, const char* text) {
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    inet_pton(AF_INET, text, &in.sin_addr);
    memcpy(sa, &in, sizeof in);
}

/* Sets IFF_UP on `name`; 0, or the errno value (ENODEV: no such interface). */
static int interface_up(int fd, const char* name) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return errno;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) == 0 ? 0 : errno;
}

static int interface_address(int fd, const char* name, unsigned long request, const char* text) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    set_ipv4(&ifr.ifr_addr, text);
    return ioctl(fd, request, &ifr) == 0 ? 0 : errno;
}

static void bring_up_network(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return; /* a kernel without CONFIG_INET */
    int e = interface_up(fd, "lo");
    if (e != 0) say("init: lo: %s\n", strerror(e));
    if (interface_up(fd, "eth0") == ENODEV) { /* booted without a network card */
        close(fd);
        return;
    }
    const char* step = "address";
    e = interface_address(fd, "eth0", SIOCSIFADDR, GUEST_ADDRESS);
    if (e == 0) {
        step = "netmask";
        e = interface_address(fd, "eth0", SIOCSIFNETMASK, GUEST_NETMASK);
    }
    if (e == 0) {
        step = "up";
        e = interface_up(fd, "eth0");
    }
    if (e == 0) {
        step = "default route";
        struct rtentry route;
        memset(&route, 0, sizeof route);
        set_ipv4(&route.rt_dst, "0.0.0.0");
        set_ipv4(&route.rt_genmask, "0.0.0.0");
        set_ipv4(&route.rt_gateway, HOST_GATEWAY);
        route.rt_flags = RTF_UP | RTF_GATEWAY;
        route.rt_dev = "eth0";
        if (ioctl(fd, SIOCADDRT, &route) != 0) e = errno;
    }
    close(fd);
    if (e != 0) say("init: eth0: %s: %s\n", step, strerror(e));
    else say("EHTRACE-VM-NET eth0 %s/24 via %s\n", GUEST_ADDRESS, HOST_GATEWAY);
}

struct test {
    char* argv[MAX_ARGS + 1];
};

static int split_line(char* line, struct test* t) {
    int argc = 0;
    for (char* tok = strtok(line, " \t\r\n"); tok && argc < MAX_ARGS; tok = strtok(NULL, " \t\r\n")) {
        if (argc == 0 && tok[0] == '#') return 0;
        t->argv[argc++] = tok;
    }
    t->argv[argc] = NULL;
    return argc;
}

static int load_tests(int argc, char** argv, struct test* tests) {
    int n = 0;
    for (int i = 1; i < argc && n < MAX_TESTS; ++i) {
        tests[n].argv[0] = argv[i];
        tests[n].argv[1] = NULL;
        ++n;
    }
    if (n > 0) return n;

    FILE* f = fopen("/tests/list", "r");
    if (!f) {
        say("init: no tests on the command line and no /tests/list: %s\n", strerror(errno));
        return 0;
    }
    char* line = NULL;
    size_t cap = 0;
    while (n < MAX_TESTS && getline(&line, &cap, f) >= 0) {
        if (split_line(line, &tests[n]) > 0) {
            line = NULL; /* the argv strings point into it: keep it */
            cap = 0;
            ++n;
        }
    }
    free(line);
    fclose(f);
    return n;
}

static const char* base_name(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int run_one(struct test* t) {
    pid_t pid = fork();
    if (pid < 0) {
        say("init: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        setsid();
        if (chdir("/tmp") != 0) _exit(127);
        char* envp[] = {
            "PATH=/tests:/bin:/sbin", "HOME=/tmp", "TMPDIR=/tmp", "GTEST_COLOR=no", NULL,
        };
        execve(t->argv[0], t->argv, envp);
        say("init: exec %s: %s\n", t->argv[0], strerror(errno));
        _exit(127);
    }

    int status = 0;
    for (;;) {
        int st;
        pid_t got = waitpid(-1, &st, 0); /* PID 1 reaps orphans too */
        if (got == pid) {
            status = st;
            break;
        }
        if (got < 0 && errno != EINTR) {
            say("init: waitpid: %s\n", strerror(errno));
            return 127;
        }
    }
    /* Whatever the test left behind (forked children) must not leak into the
     * next one: kill everything but PID 1 and reap it. */
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}

    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        say("init: %s killed by signal %d (%s)\n", base_name(t->argv[0]), WTERMSIG(status),
            strsignal(WTERMSIG(status)));
        return 128 + WTERMSIG(status);
    }
    return 127;
}

int main(int argc, char** argv) {
    mount_or_warn("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_warn("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_warn("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
    mount_or_warn("tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_warn("tracefs", "/sys/kernel/tracing", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

    /* Re-open the console from devtmpfs so stdio is valid even if the
     * initramfs node was missing. */
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) close(fd);
    }

    char uptime[64] = "?";
    FILE* up = fopen("/proc/uptime", "r");
    if (up) {
        if (fscanf(up, "%63s", uptime) != 1) strcpy(uptime, "?");
        fclose(up);
    }
    say("EHTRACE-VM-BOOT uptime=%s ncpu=%ld\n", uptime, sysconf(_SC_NPROCESSORS_ONLN));
    bring_up_network();

    static struct test tests[MAX_TESTS];
    int n = load_tests(argc, argv, tests);
    int failed = 0;
    for (int i = 0; i < n; ++i) {
        const char* name = base_name(tests[i].argv[0]);
        say("EHTRACE-VM-START %s\n", name);
        int code = run_one(&tests[i]);
        say("EHTRACE-VM-RESULT %s %d\n", name, code);
        if (code != 0) ++failed;
    }
    say("EHTRACE-VM-DONE %d %d\n", failed, n);
    leave_qemu(n == 0 ? 2 : failed ? 1 : 0);
}
