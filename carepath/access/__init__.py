"""Who may read the dashboard, and what each reader may see.

Readers are listed in a users file named by $CAREPATH_USERS_FILE (kept outside the repository,
managed with `carepath users`): each has a scrypt password hash and a scope, either one site or
every site. A site reader sees that site's rows only, on every page, chart and download.
"""
