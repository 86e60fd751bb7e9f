/* `sysv_ipc create`: leave a SysV shared memory segment, semaphore set and message queue behind
 * (fixed keys, not removed). `sysv_ipc probe`: print how many of each this IPC namespace holds and
 * whether the fixed keys still resolve, e.g. "shm=0 sem=0 msg=0 keys=none". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define KEY 0x4a554447

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "create") == 0) {
        int shm = shmget(KEY, 4096, IPC_CREAT | 0600), sem = semget(KEY, 1, IPC_CREAT | 0600),
            msg = msgget(KEY, IPC_CREAT | 0600);
        if (shm >= 0) {
            char *p = shmat(shm, NULL, 0);
            if (p != (void *)-1) strcpy(p, "left by an earlier run"), shmdt(p);
        }
        printf("created shm=%d sem=%d msg=%d\n", shm >= 0, sem >= 0, msg >= 0);
        return shm >= 0 && sem >= 0 && msg >= 0 ? 0 : 1;
    }
    struct shm_info si;
    struct seminfo se;
    struct msginfo mi;
    int shm_used = shmctl(0, SHM_INFO, (struct shmid_ds *)&si) >= 0 ? si.used_ids : -1;
    int sem_used = semctl(0, 0, SEM_INFO, (struct seminfo *)&se) >= 0 ? se.semusz : -1;
    int msg_used = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi) >= 0 ? mi.msgpool : -1;
    int found = shmget(KEY, 0, 0) >= 0 || semget(KEY, 0, 0) >= 0 || msgget(KEY, 0) >= 0;
    printf("shm=%d sem=%d msg=%d keys=%s\n", shm_used, sem_used, msg_used, found ? "found" : "none");
    return 0;
}
