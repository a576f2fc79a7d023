"""The extension objects, created unbound and initialised by :func:`app.create_app`.

Flask-AppBuilder keeps its registered views on the AppBuilder instance, so one is made per
application in the factory (``app.appbuilder``) rather than shared here.
"""

from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

db = SQLAlchemy(model_class=Model)
migrate = Migrate()
# Registered before AppBuilder so that FAB exempts its token-authenticated APIs from it and
# refuses deletes over GET.
csrf = CSRFProtect()
