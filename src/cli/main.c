/* Placeholder entry point until the command-line tool lands. */
#include <stdio.h>
int main(void)
{
    fputs("kqlite: not built yet\n", stderr);
    return 2;
}
