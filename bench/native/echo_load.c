/* Load client for the bench's `conn` scenario: CONNS connections to 127.0.0.1:PORT, each
 * sending a 64-byte line and reading the 64-byte answer back, as fast as it can, for SECONDS.
 * Prints the number of round trips completed.
 *   echo_load PORT CONNS SECONDS */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static double seconds;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *run(void *out)
{
    long *count = out;
    char line[64], back[64];
    memset(line, 'x', sizeof line);
    line[63] = '\n';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        return NULL;
    }
    double end = now() + seconds;
    while (now() < end) {
        if (write(fd, line, sizeof line) != sizeof line)
            break;
        size_t got = 0;
        while (got < sizeof back) {
            ssize_t n = read(fd, back + got, sizeof back - got);
            if (n <= 0)
                goto done;
            got += n;
        }
        (*count)++;
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: echo_load PORT CONNS SECONDS\n");
        return 2;
    }
    port = atoi(argv[1]);
    int conns = atoi(argv[2]);
    seconds = atof(argv[3]);
    pthread_t *threads = calloc(conns, sizeof *threads);
    long *counts = calloc(conns, sizeof *counts);
    for (int i = 0; i < conns; i++)
        pthread_create(&threads[i], NULL, run, &counts[i]);
    long total = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(threads[i], NULL);
        total += counts[i];
    }
    printf("%ld\n", total);
    return 0;
}
