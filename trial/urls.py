from trial.views import screening, treatment

urlpatterns = [*screening.urlpatterns, *treatment.urlpatterns]
