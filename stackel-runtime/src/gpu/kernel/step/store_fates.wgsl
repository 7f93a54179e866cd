    fates[FATE_WORDS * j] = fate;
    fates[FATE_WORDS * j + 1u] = fate_step;
    fates[FATE_WORDS * j + 2u] = lock;
    fates[FATE_WORDS * j + 3u] = newton_failures;
}

