/* musl's resolver: getaddrinfo on every request from a static binary (musl-gcc -static).
 * Prints one JSON line about itself, then one per request: start time (Unix seconds), how
 * long it took, and the IPv4 address it got or the error. Stops after CLIENT_SECONDS. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifndef MUSL_VERSION
#define MUSL_VERSION "?"
#endif

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int main(void) {
    const char *name = getenv("CLIENT_NAME");
    if (!name) {
        fprintf(stderr, "CLIENT_NAME is not set\n");
        return 2;
    }
    long interval_ms = atol(env("CLIENT_INTERVAL_MS", "100"));
    double seconds = atof(env("CLIENT_SECONDS", "90"));
    printf("{\"runtime\": \"musl\", \"version\": \"musl %s (static)\", "
           "\"notes\": \"getaddrinfo\"}\n", MUSL_VERSION);
    fflush(stdout);
    double end = now(CLOCK_MONOTONIC) + seconds;
    struct timespec pause = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
    while (now(CLOCK_MONOTONIC) < end) {
        double t = now(CLOCK_REALTIME);
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo(name, "6379", &hints, &res);
        double ms = (now(CLOCK_REALTIME) - t) * 1000;
        char addr[INET_ADDRSTRLEN] = "";
        if (rc == 0) {
            for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                if (ai->ai_family == AF_INET) {
                    inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof addr);
                    break;
                }
            }
            freeaddrinfo(res);
        }
        if (addr[0])
            printf("{\"t\": %.6f, \"ms\": %.2f, \"addr\": \"%s\"}\n", t, ms, addr);
        else
            printf("{\"t\": %.6f, \"ms\": %.2f, \"error\": \"%s\"}\n", t, ms,
                   rc == 0 ? "no IPv4 address" : gai_strerror(rc));
        fflush(stdout);
        nanosleep(&pause, NULL);
    }
    return 0;
}
